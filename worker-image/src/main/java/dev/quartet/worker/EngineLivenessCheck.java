package dev.quartet.worker;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;

/**
 * {@code /q/health/live}: down while an engine call has run longer than {@code quartet.health.engine-dead-after},
 * so the kubelet restarts a worker whose engine hangs (a GPU fault can block a CUDA call for ever; readiness went
 * down before, at {@code engine-stuck-after}).
 */
@Liveness
@ApplicationScoped
public class EngineLivenessCheck implements HealthCheck {

    private final ServedModel served;
    private final Duration deadAfter;

    public EngineLivenessCheck(ServedModel served, WorkerConfig config) {
        this.served = served;
        this.deadAfter = config.health().engineDeadAfter();
    }

    @Override
    public HealthCheckResponse call() {
        Optional<String> dead = served.engineCallOver(deadAfter);
        var response = HealthCheckResponse.named("engine").status(dead.isEmpty());
        dead.ifPresent(why -> response.withData("engine", why));
        return response.build();
    }
}
