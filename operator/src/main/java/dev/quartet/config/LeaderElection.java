package dev.quartet.config;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.quarkus.arc.Unremovable;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Leader election through a {@code coordination.k8s.io} Lease, so only one operator replica acts (QOSDK uses
 * it in the prod profile). JOSDK 5.3.2 calls System.exit inside the shutdown hook when leadership is lost, which
 * hangs the JVM on SIGTERM; instead leadership loss asks Quarkus to exit, unless it is already shutting down.
 */
@ApplicationScoped
public class LeaderElection {

    private final AtomicBoolean shuttingDown = new AtomicBoolean();

    /** Runs before QOSDK stops the operator (and with it leader election) on shutdown. */
    void onShutdown(@Observes @Priority(1) ShutdownEvent event) {
        shuttingDown.set(true);
    }

    @Produces
    @Singleton
    @Unremovable
    LeaderElectionConfiguration leaderElection(QuartetConfig config) {
        String identity = System.getenv().getOrDefault("POD_NAME", "quartet-operator") + "-"
                + UUID.randomUUID().toString().substring(0, 8);
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(
                        config.leaderElection().leaseName())
                .withLeaseNamespace(config.leaderElection()
                        .namespace()
                        .orElse(System.getenv().getOrDefault("POD_NAMESPACE", "default")))
                .withIdentity(identity)
                .withRetryPeriod(config.leaderElection().retryPeriod())
                .withLeaderCallbacks(new LeaderCallbacks(
                        () -> Log.infof("%s became the leader", identity),
                        () -> {
                            if (!shuttingDown.get()) {
                                Log.warnf("%s lost leadership; exiting so a new leader takes over", identity);
                                Quarkus.asyncExit(1);
                            }
                        },
                        leader -> Log.infof("leader is now %s", leader)))
                .buildForTest(false);
    }
}
