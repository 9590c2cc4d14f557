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
}
