package dev.quartet.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Operator settings, all under {@code quartet.*} (environment {@code QUARTET_*}). */
@ConfigMapping(prefix = "quartet")
public interface QuartetConfig {

    /** The worker replicas run. */
    Worker worker();

    /** NVIDIA MIG Manager integration. */
    MigManager migManager();

    /** How the MIG planner trades between its rules. */
    Planner planner();

    /**
     * Which nodes Quartet uses: {@code auto} (each as it offers itself: ResourceSlices of NVIDIA's DRA driver with
     * MIG devices make a DRA node, MIG Manager's labels a MIG Manager node), {@code mig-manager} or {@code dra}.
     */
    @WithDefault("auto")
    String backend();

    /** Quartet's node agent: whose reports of a node's MIG layout are taken. */
    NodeAgent nodeAgent();

    /**
     * The node agent's annotations stay on a node after its agent is gone; these settings say when they are read
     * ({@link dev.quartet.inventory.AgentReports}).
     */
    interface NodeAgent {
        /**
         * {@code annotations}: every node's, as written (agents run outside the chart, or the simulator plays them);
         * {@code agent-pods}: a node's while a Ready pod matching {@link #podSelector} runs there (the chart with its
         * agent); {@code off}: none, every node is planned as a node without an agent (the chart with its agent off).
         */
        @WithDefault("annotations")
        String reports();

        /** The agent pods' labels, {@code key=value,key=value}, for {@code agent-pods}. */
        @WithDefault("app.kubernetes.io/component=node-agent")
        String podSelector();

        /** The agent pods' namespace, for {@code agent-pods}; unset: any. */
        java.util.Optional<String> podNamespace();
    }

    /** A node not Ready for this long is lost: its replicas are deleted and placed elsewhere. */
    @WithDefault("30s")
    Duration nodeLostAfter();

    /** The Lease through which one operator replica leads. */
    LeaderElection leaderElection();

    /** The validating admission webhook the operator serves. */
    Webhook webhook();

    /**
     * The validating admission webhook: {@code kubectl apply} of an InferenceDeployment is refused when the spec can
     * never work, and warned about when the cluster cannot satisfy it now. Its serving certificate lives in a Secret:
     * Quartet creates and rotates it and its CA and keeps the webhook configuration's caBundle current, unless
     * another (cert-manager) writes that Secret.
     */
    interface Webhook {
        /** Whether the operator serves the webhook at all. */
        @WithDefault("true")
        boolean enabled();

        /** HTTPS port of the webhook ({@code POST /validate}); 0 picks a free port. */
        @WithDefault("8443")
        int port();

        /** The Secret with the serving certificate ({@code tls.crt}, {@code tls.key}) and the CA ({@code ca.crt}). */
        @WithDefault("quartet-webhook-tls")
        String secretName();

        /** Namespace of that Secret; default: the operator pod's namespace (POD_NAMESPACE), else default. */
        Optional<String> namespace();

        /** The ValidatingWebhookConfiguration whose caBundle Quartet keeps current. */
        @WithDefault("quartet")
        String configurationName();

        /**
         * true: Quartet creates the CA and serving certificate, rotates them and keeps the caBundle current. false:
         * another party (cert-manager) writes the Secret and the caBundle; Quartet only reads the Secret.
         */
        @WithDefault("true")
        boolean manageCertificate();

        /** The DNS names (or IP addresses) the serving certificate is for: the webhook Service's names. */
        @WithDefault("quartet-webhook.quartet-system.svc")
        List<String> hosts();

        /** Validity of the CA Quartet creates; a new one is made when a third of it is left. */
        @WithDefault("730d")
        Duration caValidity();

        /** Validity of the serving certificate; a new one is issued when a third of it is left. */
        @WithDefault("90d")
        Duration certificateValidity();

        /** How often the Secret and the caBundle are checked (and the served certificate reloaded from the Secret). */
        @WithDefault("1m")
        Duration checkInterval();

        /**
         * How long a new CA is in the caBundle before it signs the serving certificate, so that the API server trusts
         * it before any replica serves a certificate it signed (the old CA stays in the bundle until it expires).
         */
        @WithDefault("1m")
        Duration caPublishDelay();
    }

    /** Leader election settings (active in the prod profile). */
    interface LeaderElection {
        /** Name of the Lease. */
        @WithDefault("quartet-operator")
        String leaseName();

        /** Namespace of the Lease; default: the operator pod's namespace (POD_NAMESPACE), else default. */
        Optional<String> namespace();

        /**
         * How often the leader renews the Lease (a get and an update each time: the only requests of an idle
         * operator). JOSDK's 2 s made an idle operator send 1 request/s (hack/bench-operator.sh, issue 18); 3 s keeps
         * the Lease's 15 s duration, so a standby still takes over about as soon after the leader dies.
         */
        @WithDefault("3s")
        Duration retryPeriod();
    }

    /** Slice-aware autoscaling of deployments with spec.autoscaling (docs/operator.md). */
    Autoscaling autoscaling();

    /** How autoscaling reads the replicas' load. */
    interface Autoscaling {
        /** How often each autoscaled deployment's Ready replicas are read and its replica count decided. */
        @WithDefault("15s")
        Duration syncPeriod();

        /** How long one replica's metrics may take to answer; a replica that does not is left out of the sum. */
        @WithDefault("2s")
        Duration readTimeout();

        /**
         * Test bed only: read a replica at the URL the GPU node simulator's {@code sim.quartet.dev/worker-url}
         * annotation names instead of at its pod IP. Off by default, so on a real cluster nobody who can annotate a
         * pod can point the operator's requests elsewhere.
         */
        @WithDefault("false")
        boolean simulatorWorkerUrls();
    }

    /** Planner settings (docs/planner.md). */
    interface Planner {
        /**
         * An idle GPU of a node that is repartitioned anyway is repartitioned too when that lets at least this many
         * stranded memory slices per eight memory slices of that GPU (half, rounded up, for an A30) be covered (one replica each moves onto it from GPUs whose every compute slice is
         * used). It adds no node reconfiguration and moves nothing running; 0 never does, which keeps the fewest
         * GPUs repartitioned above covered slices.
         */
        @WithDefault("6")
        int idleGpuCoverMinSlices();
    }

    /** Worker defaults. */
    interface Worker {
        /** Image used when an InferenceDeployment does not name one. */
        @WithDefault("ghcr.io/quartet-dev/quartet-worker:0.1.0-SNAPSHOT")
        String image();

        /** Port the worker listens on inside the pod (and the Service port). */
        @WithDefault("8080")
        int port();

        /**
         * Port the worker serves the Open Inference Protocol over gRPC on inside the pod (and the Service's grpc
         * port).
         */
        @WithDefault("8081")
        int grpcPort();

        /** Image pull policy of worker containers. */
        @WithDefault("IfNotPresent")
        String imagePullPolicy();
    }

    /** Where MIG Manager reads its mig-parted config and how Quartet drives it. */
    interface MigManager {
        /** Name of the ConfigMap MIG Manager mounts (GPU Operator: migManager.config.name). */
        @WithDefault("default-mig-parted-config")
        String configMapName();

        /** Namespace of that ConfigMap (where the GPU Operator runs). */
        @WithDefault("gpu-operator")
        String namespace();

        /** Key of the mig-parted file inside the ConfigMap. */
        @WithDefault("config.yaml")
        String configKey();

        /** A node still {@code pending} after this long is rolled back to its last good config. */
        @WithDefault("10m")
        Duration repartitionTimeout();

        /**
         * How long after writing a config into the ConfigMap Quartet waits before selecting it on a node. MIG Manager
         * reads the ConfigMap as a file the kubelet mounts and refreshes on its periodic sync (about a minute, plus
         * its cache's delay): selected sooner, a new config is not in that file yet and MIG Manager fails. Zero when
         * MIG Manager reads the ConfigMap through the API (the simulator does).
         */
        @WithDefault("90s")
        Duration configPropagationDelay();

        /** At most this many nodes are repartitioned at the same time. */
        @WithDefault("1")
        int maxConcurrentRepartitions();

        /**
         * After a rollback, the node is not repartitioned again for this long. Only the {@code retryAfter} time in
         * the node annotation {@code inference.quartet.dev/mig-last-failure} counts; removing the annotation ends
         * the wait at once.
         */
        @WithDefault("15m")
        Duration retryBackoff();

        /** Whether Quartet may repartition GPUs at all (false: plan only within existing layouts). */
        @WithDefault("true")
        boolean repartitionEnabled();

        /**
         * Whether Quartet may turn MIG mode on for a GPU that has it off. Changing MIG mode resets the GPU, can fail
         * (virtual machines, {@code nvidia_drm} loaded) and, with MIG Manager's {@code WITH_REBOOT=true}, reboots the
         * node: every pod on the node goes. False: a GPU with MIG off is not capacity and is never written
         * {@code mig-enabled: true}.
         */
        @WithDefault("false")
        boolean allowMigModeChange();

        /**
         * After MIG Manager reports {@code success}, how long the node may take to advertise the slices of the config
         * Quartet selected before the config counts as failed ({@code MigLayoutMismatch}, rolled back). MIG Manager
         * writes {@code success} once it has re-enabled the GPU operands; the device plugin pod then restarts,
         * registers its resources with the kubelet, and the kubelet reports them in its next node status update (every
         * 10 s by default): tens of seconds on a busy node, so two minutes leaves room without leaving a node that
         * reported success with no instances (NVIDIA/mig-parted#18, #97) unnoticed for long.
         */
        @WithDefault("2m")
        Duration layoutVerifyTimeout();
    }
}
