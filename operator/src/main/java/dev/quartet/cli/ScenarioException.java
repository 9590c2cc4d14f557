package dev.quartet.cli;

/** Bad command-line input: the message is one line naming the offending entry. */
public final class ScenarioException extends Exception {

    public ScenarioException(String message) {
        super(message);
    }
}
