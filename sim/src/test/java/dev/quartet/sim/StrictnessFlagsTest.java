package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The strictness flags of the standalone simulator, hack/local-cluster.sh and QUARTET_SIM_FLAGS. */
class StrictnessFlagsTest {

    private final SimulatorOptions defaults = SimulatorOptions.defaults();

    @Test
    void theDefaultsAreTheGentleBehavioursOfBefore() {
        assertThat(defaults.strictness()).isEqualTo(Strictness.gentle());
        assertThat(StrictnessFlags.applyTo(defaults, "  ")).isEqualTo(defaults);
    }

    @Test
    void eachFlagSetsItsBehaviour() {
        Strictness s = StrictnessFlags.applyTo(
                        defaults,
                        "--device-choice random --seed 42 --operand-shutdown 30s,1m --config-file-lag 75s "
                                + "--finish-apply-in-flight --state-shortcuts --apply gpu-by-gpu "
                                + "--mig-mode-change reset-fails --reboot-duration 500ms")
                .strictness();
        assertThat(s)
                .isEqualTo(new Strictness(
                        Strictness.DeviceChoice.RANDOM,
                        42L,
                        Strictness.OperandShutdown.of(Duration.ofSeconds(30), Duration.ofMinutes(1)),
                        Duration.ofSeconds(75),
                        true,
                        true,
                        Strictness.ApplyModel.GPU_BY_GPU,
                        Strictness.MigModeChange.RESET_FAILS,
                        Duration.ofMillis(500)));
    }

    @Test
    void strictAndRealisticSetEveryBehaviourAndLaterFlagsRefineThem() {
        assertThat(StrictnessFlags.applyTo(defaults, "--strict").strictness()).isEqualTo(Strictness.nvidia());
        Strictness realistic = StrictnessFlags.applyTo(defaults, "--realistic --seed 3 --mig-mode-change reboot")
                .strictness();
        assertThat(realistic.operandShutdown()).isEqualTo(Strictness.OperandShutdown.REALISTIC);
        assertThat(realistic.configFileLag()).isEqualTo(Duration.ofSeconds(75));
        assertThat(realistic.deviceChoiceSeed()).isEqualTo(3L);
        assertThat(realistic.migModeChange()).isEqualTo(Strictness.MigModeChange.REBOOT);
        assertThat(realistic.applyModel()).isEqualTo(Strictness.ApplyModel.GPU_BY_GPU);
    }

    @Test
    void wrongFlagsAndValuesAreRefusedWithWhatIsAllowed() {
        assertThatThrownBy(() -> StrictnessFlags.applyTo(defaults, "--device-choice first"))
                .hasMessageContaining("least-busy-gpu")
                .hasMessageContaining("random");
        assertThatThrownBy(() -> StrictnessFlags.applyTo(defaults, "--nodes 3"))
                .hasMessageContaining("unknown simulator flag --nodes");
        assertThatThrownBy(() -> StrictnessFlags.applyTo(defaults, "--operand-shutdown 30s"))
                .hasMessageContaining("STOP,RESTART");
        assertThatThrownBy(() -> StrictnessFlags.applyTo(defaults, "--config-file-lag 1h"))
                .hasMessageContaining("500ms");
        assertThatThrownBy(() -> StrictnessFlags.applyTo(defaults, "--seed")).hasMessageContaining("needs a value");
    }
}
