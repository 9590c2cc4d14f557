package dev.quartet.admission;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quartet.demand.DemandFactory;
import dev.quartet.demand.SpecValidator;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.ReplicaTarget;
import dev.quartet.model.SliceSpec;
import dev.quartet.planner.Unsatisfied;
import dev.quartet.preview.FitAdvisor;
import dev.quartet.reconciler.ClusterPlanning;
import dev.quartet.status.ShortfallMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the admission webhook answers for an InferenceDeployment being created or updated, from the same checks and
 * the same planner input as the reconciler: refused when SpecValidator finds a problem (the spec can never work),
 * else allowed, with a warning for each sentence of the shortfall the operator's plan would report in the status
 * (why the replicas have no slice, and what would fit them) when the cluster cannot satisfy it now.
 */
final class DeploymentAdmission {

    /** Planning time spent finding what would fit the replicas, at most: the API server waits for the answer. */
    static final Duration ADVICE_BUDGET = Duration.ofSeconds(3);

    /** The answer: allowed or not, the refusal's message, and warnings kubectl prints. */
    record Decision(boolean allowed, String message, List<String> warnings) {

        static Decision allow(List<String> warnings) {
            return new Decision(true, null, List.copyOf(warnings));
        }

        static Decision deny(String message) {
            return new Decision(false, message, List.of());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Function<InferenceDeployment, Optional<ClusterPlanning.WhatIf>> whatIf;
    private final java.util.function.Predicate<InferenceDeployment> fitsWithoutPlanning;

    /** @param whatIf the plan for the cluster with the deployment applied, empty while the cluster is not read yet */
    DeploymentAdmission(Function<InferenceDeployment, Optional<ClusterPlanning.WhatIf>> whatIf) {
        this(whatIf, d -> false);
    }

    /**
     * @param fitsWithoutPlanning true when a new deployment certainly fits in what the last plan leaves free (then
     *     there is no shortfall to warn of, and no what-if plan is made); false when unsure
     */
    DeploymentAdmission(
            Function<InferenceDeployment, Optional<ClusterPlanning.WhatIf>> whatIf,
            java.util.function.Predicate<InferenceDeployment> fitsWithoutPlanning) {
        this.whatIf = whatIf;
        this.fitsWithoutPlanning = fitsWithoutPlanning;
    }

    /** The answer for {@code object}; {@code old} is the stored object on an update, else null. */
    Decision review(InferenceDeployment object, InferenceDeployment old) {
        List<String> problems = SpecValidator.validateDeployment(object);
        if (!problems.isEmpty()) {
            return Decision.deny(String.join("; ", problems));
        }
        if (object.getMetadata().getDeletionTimestamp() != null
                || old != null && JSON.valueToTree(old.getSpec()).equals(JSON.valueToTree(object.getSpec()))) {
            return Decision.allow(List.of());
        }
        String id = DemandFactory.id(object);
        if (old == null && fitsWithoutPlanning.test(object)) {
            return Decision.allow(List.of());
        }
        Optional<ClusterPlanning.WhatIf> planned = whatIf.apply(object);
        if (planned.isEmpty()) {
            return Decision.allow(List.of(id + ": Quartet has not read the cluster yet, so whether its replicas fit now"
                    + " is not checked; the status will say"));
        }
        ClusterPlanning.WhatIf w = planned.get();
        Optional<Unsatisfied> shortfall = w.plan().unsatisfied().stream()
                .filter(u -> u.demand().equals(id))
                .findFirst();
        if (shortfall.isEmpty()) {
            return Decision.allow(List.of());
        }
        List<String> wouldFit = new FitAdvisor(w.settings().planner(), ADVICE_BUDGET).wouldFit(w.input(), w.plan(), id);
        List<String> warnings = new ArrayList<>();
        if (old != null
                && old.getSpec() != null
                && !sameSlice(old.getSpec().getSlice(), object.getSpec().getSlice())) {
            warnings.add(id + ": the new slice is rolled out one replica at a time, each once a slice for it is free;"
                    + " the replicas of the old slice keep theirs until then");
        }
        ShortfallMessage.sentences(shortfall.get(), ReplicaTarget.of(object), wouldFit)
                .forEach(s -> warnings.add(id + ": " + s));
        // what the status adds to the shortfall, said at apply time too
        FitAdvisor.unofferedCapacity(w.input(), id).ifPresent(note -> warnings.add(id + ": " + note));
        return Decision.allow(warnings);
    }

    private static boolean sameSlice(SliceSpec a, SliceSpec b) {
        return a != null
                && b != null
                && Objects.equals(a.getProfile(), b.getProfile())
                && Objects.equals(a.getMemoryGiB(), b.getMemoryGiB())
                && Objects.equals(a.getGpuModel(), b.getGpuModel());
    }
}
