package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quartet.nvidia.NodeAgentReport.MigDevice;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeAgentReportTest {

    @Test
    void aMigDeviceValueIsOneObjectOrAnArrayOfThem() {
        String one = "{\"gpu\":1,\"profile\":\"2g.12gb\",\"start\":2,\"uuid\":\"MIG-a\"}";
        assertThat(NodeAgentReport.parseMigDevices(one)).containsExactly(new MigDevice(1, "2g.12gb", 2, "MIG-a"));
        assertThat(NodeAgentReport.parseMigDevices("[" + one + ",{\"gpu\":0,\"profile\":\"1g.6gb\",\"start\":3}]"))
                .containsExactly(new MigDevice(1, "2g.12gb", 2, "MIG-a"), new MigDevice(0, "1g.6gb", 3, null));
    }

    @Test
    void layoutsAndProfileTablesReadWhatTheAgentWritesAndIgnoreFieldsAddedLater() {
        var layout =
                NodeAgentReport.parseLayout("{\"gpus\":[{\"index\":0,\"uuid\":\"GPU-0\",\"product\":\"NVIDIA A30\","
                        + "\"memoryMiB\":24576,\"migCapable\":true,\"migEnabled\":true,\"migPendingEnabled\":true,"
                        + "\"instances\":[{\"profile\":\"4g.24gb\",\"profileId\":5,\"giId\":0,\"start\":0,\"size\":4,"
                        + "\"uuid\":\"MIG-x\",\"processes\":1,\"later\":true}]}]}");
        assertThat(NodeAgentReport.gpu(layout, 0).orElseThrow().instances())
                .extracting(NodeAgentReport.Instance::profile, NodeAgentReport.Instance::start)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("4g.24gb", 0));
        assertThat(NodeAgentReport.gpu(layout, 1)).isEmpty();
        var tables = NodeAgentReport.parseProfileTables(
                "{\"NVIDIA A30\":{\"memoryMiB\":24576,\"computeSlices\":4,"
                        + "\"memorySlices\":4,\"profiles\":[{\"giProfileId\":0,\"name\":\"1g.6gb\",\"computeSlices\":1,"
                        + "\"memorySlices\":1,\"multiprocessors\":14,\"maxCount\":4,\"memoryMiB\":5836,\"starts\":[0,1,2,3]}]}}");
        assertThat(tables.get("NVIDIA A30").profiles().get(0).starts()).isEqualTo(List.of(0, 1, 2, 3));
    }

    @Test
    void aValueThatIsNotJsonIsRefusedByName() {
        assertThatThrownBy(() -> NodeAgentReport.parseLayout("nope"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quartet.dev/mig-layout");
    }

    /** A GPU product Quartet's gpu-models.yaml does not know, as an agent would report it. */
    private static final String MADE_UP = "{\"NVIDIA Z900-160GB\":{\"memoryMiB\":163840,\"computeSlices\":7,"
            + "\"memorySlices\":8,\"profiles\":["
            + "{\"giProfileId\":0,\"name\":\"7g.160gb\",\"computeSlices\":7,\"memorySlices\":8,"
            + "\"multiprocessors\":140,\"maxCount\":1,\"memoryMiB\":163840,\"starts\":[0]},"
            + "{\"giProfileId\":19,\"name\":\"1g.20gb\",\"computeSlices\":1,\"memorySlices\":1,"
            + "\"multiprocessors\":20,\"maxCount\":7,\"memoryMiB\":20480,\"starts\":[0,1,2,3,4,5,6]},"
            + "{\"giProfileId\":14,\"name\":\"2g.40gb\",\"computeSlices\":2,\"memorySlices\":2,"
            + "\"multiprocessors\":40,\"maxCount\":3,\"memoryMiB\":40960,\"starts\":[0,2,4]},"
            + "{\"giProfileId\":20,\"name\":\"1g.20gb+me\",\"computeSlices\":1,\"memorySlices\":1,"
            + "\"multiprocessors\":20,\"maxCount\":1,\"memoryMiB\":20480,\"starts\":[]}]}}";

    @Test
    void aProfileTableOfAnUnknownProductIsAMigProfileTable() {
        MigProfileTable table = NodeAgentReport.parseProfileTables(MADE_UP)
                .get("NVIDIA Z900-160GB")
                .migTable();

        assertThat(table.computeSlices()).isEqualTo(7);
        assertThat(table.memorySlices()).isEqualTo(8);
        // smallest first; the +me profile has no placement (MIG was off when the agent read it) and is left out
        assertThat(table.names()).isEqualTo("1g.20gb, 2g.40gb, 7g.160gb");
        MigProfileTable.Placement placed = table.place(java.util.Map.of("2g.40gb", 3, "1g.20gb", 1));
        assertThat(placed.legal()).isTrue();
        assertThat(placed.instances())
                .extracting(i -> i.profile().name() + "@" + i.start())
                .containsExactly("2g.40gb@0", "2g.40gb@2", "2g.40gb@4", "1g.20gb@6");
        assertThat(table.place(java.util.Map.of("2g.40gb", 4)).legal()).isFalse();
    }

    @Test
    void aProfileTableBreakingNvidiasRulesIsRefused() {
        String broken = MADE_UP.replace("\"starts\":[0,2,4]", "\"starts\":[0,2,7]");

        assertThatThrownBy(() -> NodeAgentReport.parseProfileTables(broken)
                        .get("NVIDIA Z900-160GB")
                        .migTable())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2g.40gb");
    }
}
