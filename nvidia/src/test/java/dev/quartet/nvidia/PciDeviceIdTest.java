package dev.quartet.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** PCI ids as mig-parted's device-filter reads and matches them (pkg/types/device.go). */
class PciDeviceIdTest {

    private static PciDeviceId id(String text) {
        return PciDeviceId.parse(text).orElseThrow();
    }

    @Test
    void deviceAndVendorAreTheHalvesOfOneNumberInGoNotation() {
        assertThat(id("0x20B710DE")).isEqualTo(new PciDeviceId(0x20B7, 0x10DE, false, 0, 0));
        assertThat(id("0x20b710de")).isEqualTo(id("0X20B710DE"));
        assertThat(id("548868318")).isEqualTo(id("0x20B710DE"));
        assertThat(id("0x20B7_10DE")).isEqualTo(id("0x20B710DE"));
        assertThat(id("0x20B710DE:0x153210DE")).isEqualTo(new PciDeviceId(0x20B7, 0x10DE, true, 0x1532, 0x10DE));
        assertThat(id("0x20b710de")).hasToString("0x20B710DE");
        assertThat(id("0x20B710DE:0x153210DE")).hasToString("0x20B710DE:0x153210DE");
    }

    @Test
    void whatParseUintRefusesIsNoId() {
        for (String bad :
                new String[] {"", "A30", "0x", "0x1_", "0x1__0", "0x1FFFFFFFF", "-1", "1:2:3", "0x20B710DE:"}) {
            assertThat(PciDeviceId.parse(bad)).as("'%s'", bad).isEmpty();
        }
    }

    @Test
    void aFilterWithASubsystemMatchesOnlyThatSubsystem() {
        PciDeviceId any = id("0x20B710DE");
        PciDeviceId withSubsystem = id("0x20B710DE:0x153210DE");
        assertThat(any.matches(withSubsystem)).isTrue();
        assertThat(any.matches(any)).isTrue();
        assertThat(withSubsystem.matches(withSubsystem)).isTrue();
        assertThat(withSubsystem.matches(any)).isFalse();
        assertThat(withSubsystem.matches(id("0x20B710DE:0x153310DE"))).isFalse();
        assertThat(any.matches(id("0x233010DE"))).isFalse();
    }
}
