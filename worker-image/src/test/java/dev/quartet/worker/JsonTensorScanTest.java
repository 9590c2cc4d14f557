package dev.quartet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The request reader that bypasses Jackson's tokenizer gives exactly what Jackson gives (bit for bit, integers
 * exact), and declines everything else so that Jackson reads it as before.
 */
class JsonTensorScanTest {

    private final ObjectMapper mapper = new ObjectMapper();

    {
        new JsonSettings().customize(mapper);
    }

    @Test
    void numbersInEveryNotationReadAsJacksonReadsThem() throws Exception {
        Random random = new Random(20261126);
        List<String> numbers = new ArrayList<>(List.of(
                "0",
                "-0",
                "0.0",
                "-0.0",
                "1e0",
                "1E+2",
                "1e-2",
                "12.5e3",
                "0.1",
                "0.30000000000000004",
                "9007199254740993",
                "-9223372036854775808",
                "9223372036854775807",
                "1e-400",
                "1e400",
                "-1e400",
                "2.2250738585072014E-308",
                "4.9e-324",
                "123456789012345678901234.5",
                "1.7976931348623157e308",
                "0.000001",
                "3.4028235E38",
                "1.4E-45",
                "100000000000000000000000e-23"));
        for (int i = 0; i < 20_000; i++) {
            double value = switch (i % 5) {
                case 0 -> random.nextFloat();
                case 1 -> random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
                case 2 -> Double.longBitsToDouble(random.nextLong());
                case 3 -> random.nextInt(2_000_001) - 1_000_000;
                default -> random.nextDouble() * 1000;
            };
            if (Double.isNaN(value) || Double.isInfinite(value)) {
                continue;
            }
            String text = switch (i % 4) {
                case 0 -> Float.toString((float) value);
                case 1 -> Double.toString(value);
                case 2 -> String.format(Locale.ROOT, "%." + random.nextInt(20) + "e", value);
                default -> String.format(Locale.ROOT, "%." + (1 + random.nextInt(12)) + "f", value);
            };
            if (!text.contains("Infinity")) {
                numbers.add(text);
            }
            numbers.add(Long.toString(random.nextLong()));
        }
        String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"shape\":[" + numbers.size() + "],\"data\":["
                + String.join(", ", numbers) + "]}]}";
        assertSameAsJackson(body);
        for (String number : numbers) {
            assertSameAsJackson("{\"inputs\":[{\"name\":\"x\",\"data\":[" + number + "]}]}");
        }
    }

    @Test
    void nestedArraysMembersInAnyOrderAndSeveralInputs() throws Exception {
        assertSameAsJackson("""
                { "id" : "r1", "parameters": {"data": [1, 2], "s": "in\\"puts"},
                  "inputs": [
                    {"data": [[1, 2], [3, 4]], "name": "a", "shape": [2, 2], "datatype": "INT64"},
                    {"name": "b", "datatype": "FP32", "shape": [3], "data": [ 0.5 , -1e-3,2 ] },
                    {"name": "c", "datatype": "FP32", "shape": [0], "data": []},
                    {"name": "d", "datatype": "FP32", "shape": [1], "parameters": {"binary_data_size": 4}}
                  ],
                  "outputs": [{"name": "y"}]
                }
                """);
    }

    @Test
    void declinesWhatOnlyJacksonShouldJudge() {
        for (String body : List.of(
                "{\"inputs\":[{\"data\":[true, false]}]}",
                "{\"inputs\":[{\"data\":[\"a\"]}]}",
                "{\"inputs\":[{\"data\":[99999999999999999999]}]}",
                "{\"inputs\":[{\"data\":[9223372036854775808]}]}",
                "{\"inputs\":[{\"data\":[01]}]}",
                "{\"inputs\":[{\"data\":[1.]}]}",
                "{\"inputs\":[{\"data\":[.5]}]}",
                "{\"inputs\":[{\"data\":[+1]}]}",
                "{\"inputs\":[{\"data\":[1e]}]}",
                "{\"inputs\":[{\"data\":[1,]}]}",
                "{\"inputs\":[{\"data\":[1 2]}]}",
                "{\"inputs\":[{\"data\":[1]",
                "{\"inputs\":[{\"data\":[1], \"data\":[2]}]}",
                "{\"inputs\":[{\"d\\u0061ta\":[1]}]}",
                "{\"inputs\":[], \"inputs\":[]}",
                "{\"inputs\":[{\"data\":[1]}]} trailing",
                "[]")) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            assertFalse(JsonTensorScan.scan(bytes, bytes.length).isPresent(), body);
        }
    }

    @Test
    void stopsAtTheJsonLengthWhenBinaryDataFollows() {
        byte[] json = "{\"inputs\":[{\"name\":\"a\",\"data\":[1,2,3]}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[json.length + 8];
        System.arraycopy(json, 0, body, 0, json.length);
        JsonTensorScan.Scanned scanned = JsonTensorScan.scan(body, json.length).orElseThrow();
        assertEquals("{\"inputs\":[{\"name\":\"a\",\"data\":[]}]}", new String(scanned.json(), StandardCharsets.UTF_8));
        assertEquals(3, scanned.data().get(0).size());
        byte[] cut = "{\"inputs\":[{\"name\":\"a\",\"data\":[1,2".getBytes(StandardCharsets.UTF_8);
        byte[] cutBody = new byte[cut.length + 8];
        System.arraycopy(cut, 0, cutBody, 0, cut.length);
        assertFalse(JsonTensorScan.scan(cutBody, cut.length).isPresent(), "must not read into the binary part");
    }

    /** The scan's request equals Jackson's, every value bit for bit; the JSON it leaves to Jackson parses. */
    private void assertSameAsJackson(String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Oip.InferRequest expected = mapper.readValue(bytes, Oip.InferRequest.class);
        JsonTensorScan.Scanned scanned =
                JsonTensorScan.scan(bytes, bytes.length).orElseThrow();
        Oip.InferRequest rest = mapper.readValue(scanned.json(), Oip.InferRequest.class);
        assertEquals(expected.id(), rest.id());
        assertEquals(expected.parameters(), rest.parameters());
        assertEquals(expected.inputs().size(), scanned.data().size());
        for (int i = 0; i < scanned.data().size(); i++) {
            TensorData want = expected.inputs().get(i).data();
            TensorData got = scanned.data().get(i);
            assertEquals(expected.inputs().get(i).name(), rest.inputs().get(i).name());
            if (want == null) {
                assertNull(got);
                continue;
            }
            assertEquals(want.size(), got.size());
            assertEquals(want.isFloating(), got.isFloating(), body);
            for (int k = 0; k < want.size(); k++) {
                if (want.isFloating()) {
                    double value = want.doubleAt(k);
                    assertEquals(
                            Double.doubleToRawLongBits(value),
                            Double.doubleToRawLongBits(got.doubleAt(k)),
                            () -> "value " + value);
                } else {
                    assertEquals(want.longAt(k), got.longAt(k));
                }
            }
            assertTrue(rest.inputs().get(i).data() == null
                    || rest.inputs().get(i).data().size() == 0);
        }
    }
}
