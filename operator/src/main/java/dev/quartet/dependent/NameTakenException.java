package dev.quartet.dependent;

/** Another object already has the name of an InferenceDeployment's Service or PodDisruptionBudget. */
public final class NameTakenException extends IllegalStateException {

    NameTakenException(String message) {
        super(message);
    }
}
