package dev.quartet.reconciler;

import dev.quartet.config.QuartetConfig;
import dev.quartet.demand.DemandFactory;
import dev.quartet.inventory.ClusterSnapshot;
import dev.quartet.inventory.PodFacts;
import dev.quartet.model.InferenceDeployment;
import dev.quartet.model.InferenceDeploymentStatus;
import dev.quartet.nvidia.MigPartedConfig;
import dev.quartet.planner.MigPlanner;
import dev.quartet.planner.Plan;
import dev.quartet.preview.PlanningInput;
import dev.quartet.preview.PlanningSettings;
import dev.quartet.status.EventRecorder;
import dev.quartet.status.NodeProgress;
import dev.quartet.status.StatusBuilder;
import dev.quartet.status.StatusInputs;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.PodResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.*;
import java.util.stream.Collectors;

/** Runs what InferenceDeploymentReconciler.reconcileTimed does (without the Service/PDB workflow) on fake pods. */
final class ReconcileHarness {
    static final KubernetesSerialization JSON = new KubernetesSerialization();
    final Instant now;
    final Map<String, Pod> pods = new TreeMap<>(); // ns/name
    final List<Node> nodes = new ArrayList<>();
    final List<String> log = new ArrayList<>();
    MigPartedConfig mig;
    final ReplicaActuator actuator = new ReplicaActuator();
    final StatusBuilder statusBuilder;

    ReconcileHarness(Instant now, MigPartedConfig mig) {
        this.now = now;
        this.mig = mig;
        this.statusBuilder = new StatusBuilder(Clock.fixed(now, ZoneOffset.UTC));
        actuator.client = client();
        actuator.claims = new ReplicaClaims();
        actuator.claims.client = actuator.client;
        actuator.events = new EventRecorder() {
            @Override
            public void normal(HasMetadata a, String r, String m) {
                log.add("Normal " + r + ": " + m);
            }

            @Override
            public void warning(HasMetadata a, String r, String m) {
                log.add("Warning " + r + ": " + m);
            }
        };
        actuator.config = new QuartetConfig() {
            public String backend() {
                return "auto";
            }

            public NodeAgent nodeAgent() {
                return dev.quartet.config.NodeAgentSettings.defaults();
            }

            public Worker worker() {
                return new Worker() {
                    public String image() {
                        return "w:1";
                    }

                    public int port() {
                        return 8080;
                    }

                    public int grpcPort() {
                        return 8081;
                    }

                    public String imagePullPolicy() {
                        return "IfNotPresent";
                    }
                };
            }

            public MigManager migManager() {
                throw new UnsupportedOperationException();
            }

            public Planner planner() {
                throw new UnsupportedOperationException();
            }

            public Autoscaling autoscaling() {
                throw new UnsupportedOperationException();
            }

            public Duration nodeLostAfter() {
                return Duration.ofSeconds(30);
            }

            public LeaderElection leaderElection() {
                throw new UnsupportedOperationException();
            }

            public Webhook webhook() {
                throw new UnsupportedOperationException();
            }
        };
        actuator.init();
    }

    record Result(ClusterView view, DeploymentPart part, ReplicaActions actions, InferenceDeploymentStatus status) {}

    /** One reconcile of {@code d}, with every deployment in {@code all}. */
    Result reconcile(InferenceDeployment d, List<InferenceDeployment> all) {
        List<Pod> podList = pods.values().stream().map(p -> JSON.clone(p)).toList();
        ClusterSnapshot snapshot = new ClusterSnapshot(nodes, podList, mig, null);
        PlanningSettings settings = new PlanningSettings(true, Duration.ofSeconds(30), 6);
        PlanningInput input = PlanningInput.of(snapshot, all, settings, now);
        Plan plan = input.plan(new MigPlanner());
        ClusterView view = new ClusterView(
                input, plan, Map.<String, NodeProgress>of(), ClusterView.groupReplicaPods(podList), now, settings);
        String id = DemandFactory.id(d);
        List<Pod> mine = view.podsOf(id);
        DeploymentPart part =
                DeploymentPart.of(plan, id, mine.stream().map(PodFacts::id).collect(Collectors.toSet()));
        ReplicaActions actions = actuator.apply(d, part, view);
        StatusInputs in = new StatusInputs(
                List.of(),
                mine,
                null,
                part.profile()
                        .or(() -> Optional.ofNullable(d.getSpec().getSlice().getProfile())),
                part.unsatisfied(),
                Map.of(),
                new HashSet<>(actions.waitingOnNodes()),
                actions.rollout(),
                actions.changedSomething(),
                "e:8080");
        InferenceDeploymentStatus status = statusBuilder.build(d, in);
        d.setStatus(status);
        return new Result(view, part, actions, status);
    }

    static String conditions(InferenceDeploymentStatus s) {
        return s.getConditions().stream()
                .map(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                .collect(Collectors.joining(", "));
    }

    private KubernetesClient client() {
        return proxy(KubernetesClient.class, (m, a) -> switch (m.getName()) {
            case "pods" -> podOps(null);
            default -> throw new UnsupportedOperationException(m.toString());
        });
    }

    private MixedOperation<?, ?, ?> podOps(String ns) {
        return proxy(MixedOperation.class, (m, a) -> switch (m.getName()) {
            case "inNamespace" -> podOps((String) a[0]);
            case "withName" -> podRes(ns, (String) a[0], null);
            case "resource" -> podRes(ns, ((Pod) a[0]).getMetadata().getName(), (Pod) a[0]);
            default -> throw new UnsupportedOperationException(m.toString());
        });
    }

    private PodResource podRes(String ns, String name, Pod item) {
        String key = ns + "/" + name;
        return proxy(PodResource.class, (m, a) -> {
            switch (m.getName()) {
                case "get":
                    return pods.containsKey(key) ? JSON.clone(pods.get(key)) : null;
                case "create":
                    if (pods.containsKey(key)) throw new KubernetesClientException("exists", 409, null);
                    Pod p = JSON.clone(item);
                    p.getMetadata().setCreationTimestamp(now.toString());
                    pods.put(key, p);
                    log.add("create " + key);
                    return JSON.clone(p);
                case "delete":
                    Pod old = pods.get(key);
                    if (old != null) {
                        old.getMetadata().setDeletionTimestamp(now.toString());
                    }
                    log.add("delete " + key);
                    return List.of();
                default:
                    throw new UnsupportedOperationException(m.toString());
            }
        });
    }

    interface Call {
        Object handle(java.lang.reflect.Method m, Object[] a) throws Exception;
    }

    @SuppressWarnings("unchecked")
    static <T> T proxy(Class<T> type, Call call) {
        return (T) Proxy.newProxyInstance(
                ReconcileHarness.class.getClassLoader(), new Class<?>[] {type}, (self, m, a) -> switch (m.getName()) {
                    case "toString" -> "fake";
                    case "hashCode" -> System.identityHashCode(self);
                    case "equals" -> self == a[0];
                    default -> call.handle(m, a);
                });
    }
}
