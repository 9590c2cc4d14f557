package dev.quartet.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command-line layout notation. */
class MigLayoutTest {

    @Test
    void parsesTheCommandLineForms() {
        assertThat(MigLayout.parse("4x1g.6gb").counts()).isEqualTo(Map.of("1g.6gb", 4));
        assertThat(MigLayout.parse("2x1g.6gb+1x2g.12gb").counts()).isEqualTo(Map.of("1g.6gb", 2, "2g.12gb", 1));
        assertThat(MigLayout.parse("1x1g.6gb+me+3x1g.6gb").counts()).isEqualTo(Map.of("1g.6gb+me", 1, "1g.6gb", 3));
        assertThat(MigLayout.parse("none")).isEqualTo(MigLayout.NONE);
        assertThat(MigLayout.parse("none").migEnabled()).isTrue();
        assertThat(MigLayout.parse("disabled").migEnabled()).isFalse();
        assertThatThrownBy(() -> MigLayout.parse("four slices")).hasMessageContaining("bad layout");
    }

    @Test
    void simConfigNamesAreValidLabelValues() {
        for (String layout :
                new String[] {"4x1g.6gb", "1x1g.6gb+me+3x1g.6gb", "2x1g.6gb+1x2g.12gb", "none", "disabled"}) {
            String name = MigLayout.parse(layout).configName();
            assertThat(name)
                    .matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
                    .hasSizeLessThanOrEqualTo(63);
        }
        assertThat(MigLayout.parse("2x1g.6gb+1x2g.12gb").configName()).isEqualTo("sim-2x1g.6gb_1x2g.12gb");
    }

    @Test
    void describesItselfInTheSameNotation() {
        assertThat(MigLayout.parse("1x2g.12gb+2x1g.6gb")).hasToString("2x1g.6gb+1x2g.12gb");
    }
}
