package dev.quartet.worker;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
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
        Duration longest = served.longestEngineCall();
        boolean stuck = longest.compareTo(stuckAfter) > 0;
        var response = HealthCheckResponse.named("model").status(served.isReady() && !stuck)
                .withData("name", modelName);
        if (stuck) {
            response.withData("engine", "a call has run for " + longest.toSeconds() + " s (more than "
                    + stuckAfter.toSeconds() + " s)");
        }
        return response.build();
    }
}
