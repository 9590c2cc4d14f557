package dev.quartet.demand;

import dev.quartet.dependent.ReplicaPodFactory;
import dev.quartet.model.AutoscalingSpec;
import dev.quartet.model.AutoscalingTarget;
import dev.quartet.model.BatchingSpec;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentSpec;
import dev.quartet.model.ModelSignature;
import dev.quartet.model.ModelSpec;
import dev.quartet.model.SliceSpec;
import dev.quartet.model.TensorDescription;
import dev.quartet.model.WorkerSpec;
import dev.quartet.nvidia.GpuModel;
import dev.quartet.nvidia.MigProfileName;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Checks an InferenceDeployment and names the offending field in every message; an empty result means it is valid.
 *
 * <p>The CRD refuses the same problems at {@code kubectl apply}: its OpenAPI constraints and CEL rules, generated
 * from dev.quartet.model, cover every check here, most with the same message (operator/src/test/resources/
 * invalid-specs is the corpus both are tested on). This stays the second line: the reconciler reports InvalidSpec
 * for objects the API server holds anyway (stored before the rules, which the server keeps while their invalid fields
 * do not change, or created through an older CRD), and for the little the rules check more loosely than Java's URI
 * parser (a character such as '[' in a path, an http(s) host that is no host name, like {@code my_host}).
 */
public final class SpecValidator {

    /** A PersistentVolumeClaim name: a DNS-1123 subdomain (dots allowed). */
    private static final Pattern DNS_1123 =
            Pattern.compile("^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$");
    /** A Service name: a DNS-1035 label. */
    private static final Pattern DNS_1035 = Pattern.compile("^(?=.{1,63}$)[a-z]([-a-z0-9]*[a-z0-9])?$");

    private static final Pattern SHA256 = Pattern.compile("^[a-f0-9]{64}$");
    private static final Pattern MODEL_NAME = Pattern.compile("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$");

    private SpecValidator() {}

    /** A whole InferenceDeployment: its name, then its spec. An empty result means it is valid. */
    public static List<String> validateDeployment(InferenceDeployment d) {
        List<String> problems = new ArrayList<>(validateName(d.getMetadata().getName()));
        problems.addAll(validate(d.getSpec()));
        return problems;
    }

    /**
     * The resource's own name: it names the Service (a DNS-1035 label) and is a label value of every replica, so
     * it must be lowercase letters, digits and '-', start with a letter and be at most 63 characters.
     */
    public static List<String> validateName(String name) {
        if (name != null && DNS_1035.matcher(name).matches()) {
            return List.of();
        }
        return List.of("metadata.name: " + name + " cannot name the deployment's Service; use at most 63 lowercase "
                + "letters, digits and '-', starting with a letter and ending with a letter or digit");
    }

    public static List<String> validate(InferenceDeploymentSpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            problems.add("spec: required");
            return problems;
        }
        model(spec.getModel(), problems);
        slice(spec.getSlice(), problems);
        if (spec.getReplicas() == null || spec.getReplicas() < 0) {
            problems.add("spec.replicas: must be 0 or more, got " + spec.getReplicas());
        }
        if (spec.getPriority() != null && (spec.getPriority() < -1000 || spec.getPriority() > 1000)) {
            problems.add("spec.priority: must be between -1000 and 1000, got " + spec.getPriority());
        }
        batching(spec.getBatching(), problems);
        autoscaling(spec.getAutoscaling(), problems);
        worker(spec.getWorker(), problems);
        return problems;
    }

    private static void model(ModelSpec model, List<String> problems) {
        if (model == null) {
            problems.add("spec.model: required");
            return;
        }
        if (model.getFormat() == null) {
            problems.add("spec.model.format: required, torchscript or onnx");
        }
        if (model.getSha256() != null && !SHA256.matcher(model.getSha256()).matches()) {
            problems.add("spec.model.sha256: must be 64 lower-case hex digits");
        }
        if (model.getName() != null && !MODEL_NAME.matcher(model.getName()).matches()) {
            problems.add("spec.model.name: '" + model.getName() + "' must be 1-63 letters, digits, '_', '.' or '-'");
        }
        signature(model.getSignature(), problems);
        String uri = model.getUri();
        if (uri == null || uri.isBlank()) {
            problems.add("spec.model.uri: required (file:///path, pvc://<claim>/<path> or http(s)://...)");
            return;
        }
        URI parsed;
        try {
            parsed = new URI(uri);
        } catch (URISyntaxException e) {
            problems.add("spec.model.uri: '" + uri + "' is not a URI: " + e.getReason());
            return;
        }
        String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "file" -> {
                // file://models/m.pt names host "models": the worker cannot open it, so it is refused here.
                if (parsed.getAuthority() != null
                        || parsed.getPath() == null
                        || !parsed.getPath().startsWith("/")
                        || parsed.getPath().length() < 2) {
                    problems.add(
                            "spec.model.uri: file URIs need an absolute path in the worker image, e.g. file:///models/m.pt");
                }
            }
            case "pvc" -> {
                String claim = parsed.getAuthority();
                String path = parsed.getPath();
                if (claim == null || !DNS_1123.matcher(claim).matches()) {
                    problems.add("spec.model.uri: pvc URIs are pvc://<claim>/<path>; '" + claim
                            + "' is not a valid claim name");
                } else if (path == null || path.length() < 2) {
                    problems.add(
                            "spec.model.uri: pvc URIs are pvc://<claim>/<path>; the path inside the claim is missing");
                }
            }
            case "http", "https" -> {
                if (parsed.getHost() == null) {
                    problems.add("spec.model.uri: '" + uri + "' has no host");
                }
            }
            default ->
                problems.add("spec.model.uri: scheme '" + scheme + "' is not supported; use file://, pvc://, "
                        + "http:// or https://");
        }
    }

    /** The rules of spec.model.signature the CRD checks at apply (for objects stored before them). */
    private static void signature(ModelSignature signature, List<String> problems) {
        if (signature == null) {
            return;
        }
        if (signature.getInputs() == null && signature.getOutputs() == null) {
            problems.add("spec.model.signature: list inputs, outputs or both");
        }
        tensors("inputs", signature.getInputs(), problems);
        tensors("outputs", signature.getOutputs(), problems);
    }

    private static void tensors(String kind, List<TensorDescription> tensors, List<String> problems) {
        if (tensors == null) {
            return;
        }
        if (tensors.stream().map(TensorDescription::getName).distinct().count() != tensors.size()) {
            problems.add("spec.model.signature." + kind + ": every name once");
        }
        if (tensors.stream()
                .anyMatch(t ->
                        t.getShape() != null && t.getShape().stream().anyMatch(d -> d == null || d == 0 || d < -1))) {
            problems.add("spec.model.signature: a shape's sizes are at least 1, or -1 for any size");
        }
    }

    private static void slice(SliceSpec slice, List<String> problems) {
        if (slice == null) {
            problems.add("spec.slice: required, with profile or memoryGiB");
            return;
        }
        boolean hasProfile = slice.getProfile() != null && !slice.getProfile().isBlank();
        if (hasProfile == (slice.getMemoryGiB() != null)) {
            problems.add("spec.slice: set exactly one of profile and memoryGiB");
        }
        if (slice.getMemoryGiB() != null && slice.getMemoryGiB() < 1) {
            problems.add("spec.slice.memoryGiB: must be at least 1, got " + slice.getMemoryGiB());
        }
        if (slice.getMemoryGiB() != null && slice.getMemoryGiB() >= 1 && slice.getGpuModel() != null) {
            GpuModel model = GpuModel.parse(slice.getGpuModel().value());
            int largest =
                    model.profiles().stream().mapToInt(p -> p.memoryGiB()).max().orElse(0);
            if (slice.getMemoryGiB() > largest) {
                problems.add("spec.slice.memoryGiB: " + slice.getMemoryGiB() + " GiB is more than the largest "
                        + model.displayName() + " profile holds (" + largest + " GiB)");
            }
        }
        if (!hasProfile) {
            return;
        }
        String profile = slice.getProfile();
        if (slice.getGpuModel() != null) {
            GpuModel model = GpuModel.parse(slice.getGpuModel().value());
            if (model.profile(profile).isEmpty()) {
                problems.add("spec.slice.profile: " + model.displayName() + " has no profile '" + profile + "' (legal: "
                        + model.profileNames() + ")");
            }
        } else if (!profile.matches(SliceSpec.PROFILE_PATTERN)
                || MigProfileName.gpuInstanceNameProblem(profile) != null) {
            // A well-formed name no built-in model has may be the profile of a GPU a node agent reports (an H200's
            // 1g.18gb); if no GPU in the cluster has it, the Degraded condition says so (NoMatchingGpuModel).
            String why = MigProfileName.gpuInstanceNameProblem(profile);
            problems.add("spec.slice.profile: "
                    + (why != null ? why : "'" + profile + "' is no MIG profile name (<g>g.<gb>gb[+me], g 1 to 7)")
                    + "; known profiles: "
                    + GpuModel.builtIns().stream()
                            .map(m -> m.displayName() + ": " + m.profileNames())
                            .collect(Collectors.joining("; ")));
        }
    }

    private static void batching(BatchingSpec b, List<String> problems) {
        if (b == null) {
            return;
        }
        range("spec.batching.maxBatchSize", b.getMaxBatchSize(), 1, 1024, problems);
        range("spec.batching.maxBatchDelayMillis", b.getMaxBatchDelayMillis(), 0, 10000, problems);
        range("spec.batching.queueLimit", b.getQueueLimit(), 1, 100000, problems);
    }

    private static void autoscaling(AutoscalingSpec a, List<String> problems) {
        if (a == null) {
            return;
        }
        range("spec.autoscaling.minReplicas", a.getMinReplicas(), 1, 1000, problems);
        if (a.getMaxReplicas() == null) {
            problems.add("spec.autoscaling.maxReplicas: required");
        } else {
            range("spec.autoscaling.maxReplicas", a.getMaxReplicas(), 1, 1000, problems);
            if (a.getMinReplicas() != null && a.getMinReplicas() > a.getMaxReplicas()) {
                problems.add("spec.autoscaling: minReplicas (" + a.getMinReplicas() + ") must not exceed maxReplicas ("
                        + a.getMaxReplicas() + ")");
            }
        }
        range("spec.autoscaling.scaleDownDelaySeconds", a.getScaleDownDelaySeconds(), 0, 3600, problems);
        AutoscalingTarget t = a.getTarget();
        if (t == null) {
            problems.add("spec.autoscaling.target: required");
            return;
        }
        if ((t.getQueueDepthPerReplica() == null) == (t.getInFlightPerReplica() == null)) {
            problems.add("spec.autoscaling.target: set exactly one of queueDepthPerReplica and inFlightPerReplica");
        }
        range("spec.autoscaling.target.queueDepthPerReplica", t.getQueueDepthPerReplica(), 1, 100000, problems);
        range("spec.autoscaling.target.inFlightPerReplica", t.getInFlightPerReplica(), 1, 100000, problems);
    }

    private static void range(String field, Integer value, int min, int max, List<String> problems) {
        if (value != null && (value < min || value > max)) {
            problems.add(field + ": must be between " + min + " and " + max + ", got " + value);
        }
    }

    private static void worker(WorkerSpec w, List<String> problems) {
        if (w == null) {
            return;
        }
        if (w.getImage() != null && w.getImage().isBlank()) {
            problems.add("spec.worker.image: must not be empty (omit it to use the operator's default)");
        }
        if (w.getEnv() != null) {
            w.getEnv().stream()
                    .filter(e -> ReplicaPodFactory.DERIVED_ENV.containsKey(e.getName()))
                    .forEach(e -> problems.add("spec.worker.env: " + e.getName() + " is set by Quartet from "
                            + ReplicaPodFactory.DERIVED_ENV.get(e.getName()) + "; set that field instead"));
            w.getEnv().stream()
                    .filter(e ->
                            "QUARKUS_HTTP_PORT".equals(e.getName()) || "NVIDIA_VISIBLE_DEVICES".equals(e.getName()))
                    .forEach(e -> problems.add("spec.worker.env: " + e.getName() + " is set by Quartet and the device "
                            + "plugin (the probes and the Service use the worker port; the slice is the pod's own)"));
            w.getEnv().stream()
                    .filter(e -> "QUARKUS_GRPC_SERVER_PORT".equals(e.getName()))
                    .forEach(e -> problems.add("spec.worker.env: " + e.getName()
                            + " is set by Quartet (the Service's grpc port targets it)"));
        }
        if (w.getResources() != null) {
            for (var m : java.util.Arrays.asList(
                    w.getResources().getLimits(), w.getResources().getRequests())) {
                if (m != null && m.keySet().stream().anyMatch(k -> k.startsWith("nvidia.com/"))) {
                    problems.add("spec.worker.resources: nvidia.com/* resources are added by Quartet from spec.slice");
                    break;
                }
            }
        }
    }
}
