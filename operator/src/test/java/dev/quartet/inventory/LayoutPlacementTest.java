package dev.quartet.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quartet.nvidia.GpuModel;
import dev.quartet.planner.Instance;
import dev.quartet.planner.LayoutCatalog;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LayoutPlacementTest {

    private static Optional<String> place(GpuModel model, Map<String, Integer> counts, Instance... known) {
        return LayoutPlacement.place(model, counts, List.of(known)).map(List::toString);
    }

    @Test
    void freeInstancesGetTheLowestStartsLargestFirst() {
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 2, "2g.12gb", 1))).contains("[2g.12gb@0, 1g.6gb@2, 1g.6gb@3]");
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 4))).contains("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
        assertThat(place(GpuModel.A30, Map.of("4g.24gb", 1))).contains("[4g.24gb@0]");
        assertThat(place(GpuModel.H100_80GB, Map.of("3g.40gb", 2))).contains("[3g.40gb@0, 3g.40gb@4]");
    }

    @Test
    void placementBacktracksToALegalLayout() {
        // 3g at 0 would leave slot 7, where no 1g.5gb may start.
        assertThat(place(GpuModel.A100_40GB, Map.of("1g.5gb", 2, "2g.10gb", 1, "3g.20gb", 1)))
                .contains("[2g.10gb@0, 1g.5gb@2, 1g.5gb@3, 3g.20gb@4]");
    }

    @Test
    void knownInstancesStayWhereTheyAreAndTheRestFillsAround() {
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 2, "2g.12gb", 1), new Instance("2g.12gb", 2)))
                .contains("[1g.6gb@0, 1g.6gb@1, 2g.12gb@2]");
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 4), new Instance("1g.6gb", 3), new Instance("1g.6gb", 1)))
                .contains("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb@3]");
    }

    @Test
    void everyPlacedLayoutIsLegalAndHasExactlyTheCounts() {
        Map<String, Integer> counts = Map.of("1g.10gb", 2, "2g.20gb", 1, "3g.40gb", 1);

        List<Instance> layout = LayoutPlacement.place(GpuModel.H100_80GB, counts, List.of(new Instance("2g.20gb", 0)))
                .orElseThrow();

        assertThat(LayoutCatalog.isLegal(GpuModel.H100_80GB, layout)).isTrue();
        assertThat(layout).contains(new Instance("2g.20gb", 0));
        assertThat(layout)
                .extracting(Instance::profile)
                .containsExactlyInAnyOrder("1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb");
        // With the 2g at 4 the 3g must take 0 and one 1g would need slot 7, where none may start.
        assertThat(LayoutPlacement.place(GpuModel.H100_80GB, counts, List.of(new Instance("2g.20gb", 4))))
                .isEmpty();
    }

    @Test
    void mediaExtensionInstancesArePlacedToo() {
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 3, "1g.6gb+me", 1)))
                .contains("[1g.6gb@0, 1g.6gb@1, 1g.6gb@2, 1g.6gb+me@3]");
    }

    @Test
    void noCountsGiveAnEmptyLayout() {
        assertThat(place(GpuModel.A30, Map.of())).contains("[]");
    }

    @Test
    void theFragmentationTrapHasNoLayout() {
        assertThat(place(
                        GpuModel.A30,
                        Map.of("1g.6gb", 2, "2g.12gb", 1),
                        new Instance("1g.6gb", 1),
                        new Instance("1g.6gb", 2)))
                .isEmpty();
    }

    @Test
    void knownInstancesTheCountsDoNotAllowHaveNoLayout() {
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 4), new Instance("2g.12gb", 0)))
                .isEmpty();
        assertThat(place(
                        GpuModel.A30,
                        Map.of("1g.6gb", 1, "2g.12gb", 1),
                        new Instance("1g.6gb", 0),
                        new Instance("1g.6gb", 1)))
                .isEmpty();
    }

    @Test
    void illegalKnownInstancesHaveNoLayout() {
        assertThat(place(GpuModel.A30, Map.of("2g.12gb", 2), new Instance("2g.12gb", 1)))
                .isEmpty();
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 4), new Instance("1g.6gb", 2), new Instance("1g.6gb", 2)))
                .isEmpty();
    }

    @Test
    void countsThatFitNoGpuOrNameNoProfileOfTheModelHaveNoLayout() {
        assertThat(place(GpuModel.A30, Map.of("2g.12gb", 3))).isEmpty();
        assertThat(place(GpuModel.A30, Map.of("1g.6gb", 5))).isEmpty();
        assertThat(place(GpuModel.A30, Map.of("1g.5gb", 1))).isEmpty();
        assertThat(place(GpuModel.A30, Map.of("1g.6gb+me", 2))).isEmpty();
    }
}
