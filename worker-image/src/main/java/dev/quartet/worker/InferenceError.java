package dev.quartet.worker;

/** A request the worker refuses, with the HTTP status and the message the client sees. */
public class InferenceError extends RuntimeException {

    private final int status;
    private final String outcome;

    public InferenceError(int status, String outcome, String message) {
        super(message, null, false, false);
        this.status = status;
        this.outcome = outcome;
    }

    /** 400: the request is malformed or does not match the model. */
    public static InferenceError badRequest(String message) {
        return new InferenceError(400, "bad_request", message);
    }

    /** 404: no such model (or version). */
    public static InferenceError notFound(String message) {
        return new InferenceError(404, "not_found", message);
    }

    /** HTTP status. */
    public int status() {
        return status;
    }

    /** Metrics outcome label. */
    public String outcome() {
        return outcome;
    }
}
