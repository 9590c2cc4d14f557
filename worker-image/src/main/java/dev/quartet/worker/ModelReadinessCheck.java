package dev.quartet.worker;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * {@code /q/health/ready}: up once the model is loaded and one warm-up inference succeeded, and down again while
 * an engine call has run longer than {@code quartet.health.engine-stuck-after} (a hung GPU call: the Service
 * stops sending requests that would only queue behind it).
 */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    private final ServedModel served;
    private final String modelName;
    private final Duration stuckAfter;

    public ModelReadinessCheck(ServedModel served, WorkerConfig config) {
        this.served = served;
        this.modelName = config.model().name();
        this.stuckAfter = config.health().engineStuckAfter();
    }

    @Override
    public HealthCheckResponse call() {
        Optional<String> stuck = served.engineCallOver(stuckAfter);
        var response = HealthCheckResponse.named("model")
                .status(served.isReady() && stuck.isEmpty())
                .withData("name", modelName);
        stuck.ifPresent(why -> response.withData("engine", why));
        return response.build();
    }
}
