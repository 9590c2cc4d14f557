package dev.quartet.agent.annotations;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Only values that differ are written; others' annotations are never touched. */
class AnnotationChangesTest {

    @Test
    void nothingToWriteWhenEveryValueIsThere() {
        assertThat(AnnotationChanges.of(Map.of("a", "1", "other", "x"), Map.of("a", "1")))
                .isEmpty();
    }

    @Test
    void writesMissingAndDifferentValuesOnly() {
        assertThat(AnnotationChanges.of(Map.of("a", "1", "b", "old"), Map.of("a", "1", "b", "new", "c", "3")))
                .containsExactly(Map.entry("b", "new"), Map.entry("c", "3"));
    }

    @Test
    void anObjectWithoutAnnotationsGetsAll() {
        assertThat(AnnotationChanges.of(null, Map.of("a", "1"))).containsExactly(Map.entry("a", "1"));
    }
}
