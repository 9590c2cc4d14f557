package dev.quartet.worker;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** {@code /q/health/ready}: up only once the model is loaded and one warm-up inference succeeded. */
@Readiness
@ApplicationScoped
public class ModelReadinessCheck implements HealthCheck {

    private final ServedModel served;
    private final String modelName;

    public ModelReadinessCheck(ServedModel served, WorkerConfig config) {
        this.served = served;
        this.modelName = config.model().name();
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model").status(served.isReady()).withData("name", modelName).build();
    }
}
