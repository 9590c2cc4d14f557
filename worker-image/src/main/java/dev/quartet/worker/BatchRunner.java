package dev.quartet.worker;

import java.util.List;

/** Runs one merged batch and returns each request's outputs, in request order. */
@FunctionalInterface
public interface BatchRunner {

    /** Runs {@code requests} as one inference; throws when the engine fails on the batch. */
    List<List<Oip.OutputTensor>> run(List<ValidatedRequest> requests);
}
