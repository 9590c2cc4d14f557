package dev.quartet.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.smallrye.config.WithDefault;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {

    /** Each renewal is a get and an update of the Lease: an idle operator's whole traffic (issue 18: under 1/s). */
    @Test
    void theDefaultRenewalKeepsAnIdleOperatorUnderOneRequestPerSecond() throws Exception {
        Duration retry = Duration.ofSeconds(Long.parseLong(QuartetConfig.LeaderElection.class
                .getMethod("retryPeriod")
                .getAnnotation(WithDefault.class)
                .value()
                .replace("s", "")));
        assertThat(2.0 / retry.toSeconds()).isLessThan(1.0);
        // and the Lease still outlasts a renewal deadline that outlasts a retry, as fabric8's elector requires
        assertThat(LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE)
                .isGreaterThan(LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE);
        assertThat(LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE.toMillis())
                .isGreaterThan((long) (1.2 * retry.toMillis()));
    }

    @Test
    void theConfiguredRetryPeriodReachesTheElector() {
        QuartetConfig.LeaderElection settings = new QuartetConfig.LeaderElection() {
            public String leaseName() {
                return "quartet-operator";
            }

            public Optional<String> namespace() {
                return Optional.of("ns");
            }

            public Duration retryPeriod() {
                return Duration.ofSeconds(3);
            }
        };
        QuartetConfig config = (QuartetConfig) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {QuartetConfig.class}, (self, m, a) -> {
                    if (m.getName().equals("leaderElection")) {
                        return settings;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        LeaderElectionConfiguration c = new LeaderElection().leaderElection(config);
        assertThat(c.getRetryPeriod()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c.getLeaseNamespace()).contains("ns");
    }
}
