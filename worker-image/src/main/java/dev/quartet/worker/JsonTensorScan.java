package dev.quartet.worker;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads the {@code inputs[i].data} arrays of an OIP request body straight from its bytes, without Jackson's
 * tokenizer: a 224 x 224 x 3 image sent as JSON is 150,528 numbers in 1.6 MB, which Jackson took about 12 ms of
 * CPU to read (tokens 4.7 ms, numbers 7-9 ms). Only plain arrays of JSON numbers, nested or not, are read here,
 * with the same values Jackson gives (integers as INT64, other numbers as correctly rounded doubles); anything
 * else (booleans, a string, an integer beyond INT64, malformed JSON, an escaped or repeated key) makes
 * {@link #scan} return empty, and the caller reads the body with Jackson as before, errors included.
 */
final class JsonTensorScan {

    /** Powers of ten a double holds exactly. */
    private static final double[] POWERS = new double[23];

    private static final int MAX_DEPTH = 32;

    static {
        POWERS[0] = 1;
        for (int i = 1; i < POWERS.length; i++) {
            POWERS[i] = POWERS[i - 1] * 10;
        }
    }

    /**
     * The body with every {@code inputs[i].data} array read here replaced by {@code []}, for Jackson to read the
     * rest, and the arrays read, by input index (null where an input had none).
     */
    record Scanned(byte[] json, List<TensorData> data) {}

    private final byte[] b;
    private final int end;
    private int pos;
    private final List<int[]> spans = new ArrayList<>();
    private final List<TensorData> data = new ArrayList<>();

    private JsonTensorScan(byte[] body, int length) {
        // Reading past the JSON must fail, not run into the binary tensor data after it.
        this.b = length == body.length ? body : Arrays.copyOf(body, length);
        this.end = length;
    }

    /** The request's tensor arrays, or empty when the body is anything but plain OIP with numeric data. */
    static Optional<Scanned> scan(byte[] body, int length) {
        JsonTensorScan scan = new JsonTensorScan(body, length);
        try {
            if (!scan.request()) {
                return Optional.empty();
            }
        } catch (IndexOutOfBoundsException e) {
            return Optional.empty();
        }
        return Optional.of(scan.result());
    }

    private Scanned result() {
        int removed = 0;
        for (int[] span : spans) {
            removed += span[1] - span[0] - 2;
        }
        byte[] json = new byte[end - removed];
        int from = 0;
        int to = 0;
        for (int[] span : spans) {
            System.arraycopy(b, from, json, to, span[0] - from);
            to += span[0] - from;
            json[to++] = '[';
            json[to++] = ']';
            from = span[1];
        }
        System.arraycopy(b, from, json, to, end - from);
        return new Scanned(json, data);
    }

    /** The root object; its {@code inputs} array is read, every other member skipped. */
    private boolean request() {
        skipSpace();
        if (b[pos] != '{') {
            return false;
        }
        pos++;
        boolean inputsSeen = false;
        if (!nextMember()) {
            return atEnd();
        }
        do {
            String key = key();
            if (key == null) {
                return false;
            }
            if (key.equals("inputs")) {
                if (inputsSeen || !inputs()) {
                    return false;
                }
                inputsSeen = true;
            } else if (!skipValue(0)) {
                return false;
            }
        } while (moreMembers());
        return atEnd();
    }

    private boolean inputs() {
        if (b[pos] != '[') {
            return skipValue(0);
        }
        pos++;
        skipSpace();
        if (b[pos] == ']') {
            pos++;
            return true;
        }
        do {
            skipSpace();
            data.add(null);
            if (b[pos] == '{') {
                if (!input(data.size() - 1)) {
                    return false;
                }
            } else if (!skipValue(0)) {
                return false;
            }
            skipSpace();
        } while (b[pos++] == ',');
        return b[pos - 1] == ']';
    }

    private boolean input(int index) {
        pos++;
        if (!nextMember()) {
            return true;
        }
        do {
            String key = key();
            if (key == null) {
                return false;
            }
            if (key.equals("data") && b[pos] == '[') {
                if (data.get(index) != null) {
                    return false;
                }
                int start = pos;
                TensorData tensor = new TensorData();
                if (!array(tensor, 0)) {
                    return false;
                }
                spans.add(new int[] {start, pos});
                data.set(index, tensor);
            } else if (key.equals("data") && data.get(index) != null || !skipValue(0)) {
                return false;
            }
        } while (moreMembers());
        return true;
    }

    /** After '{': false when the object is empty (and consumed). */
    private boolean nextMember() {
        skipSpace();
        if (b[pos] == '}') {
            pos++;
            return false;
        }
        return true;
    }

    /** After a member's value: true when a ',' follows, false after the closing '}'. */
    private boolean moreMembers() {
        skipSpace();
        byte c = b[pos++];
        if (c == ',') {
            skipSpace();
            return true;
        }
        if (c != '}') {
            throw new IndexOutOfBoundsException("expected , or }");
        }
        return false;
    }

    /** A member's key without escapes and the ':' after it; the position is then at its value. */
    private String key() {
        if (b[pos] != '"') {
            return null;
        }
        int start = ++pos;
        while (b[pos] != '"') {
            if (b[pos] == '\\') {
                return null;
            }
            pos++;
        }
        String key = new String(b, start, pos - start, StandardCharsets.UTF_8);
        pos++;
        skipSpace();
        if (b[pos++] != ':') {
            return null;
        }
        skipSpace();
        return key;
    }

    private boolean atEnd() {
        skipSpace();
        return pos == end;
    }

    /** Skips any JSON value; structure is checked only as far as finding where it ends. */
    private boolean skipValue(int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        byte c = b[pos];
        if (c == '"') {
            pos++;
            while (b[pos] != '"') {
                pos += b[pos] == '\\' ? 2 : 1;
            }
            pos++;
            return true;
        }
        if (c == '{' || c == '[') {
            byte close = (byte) (c == '{' ? '}' : ']');
            pos++;
            skipSpace();
            if (b[pos] == close) {
                pos++;
                return true;
            }
            while (true) {
                if (c == '{') {
                    if (key() == null) {
                        return false;
                    }
                }
                if (!skipValue(depth + 1)) {
                    return false;
                }
                skipSpace();
                byte next = b[pos++];
                if (next == close) {
                    return true;
                }
                if (next != ',') {
                    return false;
                }
                skipSpace();
            }
        }
        int start = pos;
        while (pos < end && b[pos] != ',' && b[pos] != '}' && b[pos] != ']' && !space(b[pos])) {
            pos++;
        }
        return pos > start;
    }

    /** A (nested) array of numbers into {@code tensor}; false for anything else. */
    private boolean array(TensorData tensor, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        final byte[] b = this.b;
        int p = spaceFrom(pos + 1);
        if (b[p] == ']') {
            pos = p + 1;
            return true;
        }
        while (true) {
            if (b[p] == '[') {
                pos = p;
                if (!array(tensor, depth + 1)) {
                    return false;
                }
                p = pos;
            } else {
                p = number(tensor, p);
                if (p < 0) {
                    return false;
                }
            }
            p = spaceFrom(p);
            byte next = b[p++];
            if (next == ']') {
                pos = p;
                return true;
            }
            if (next != ',') {
                return false;
            }
            p = spaceFrom(p);
        }
    }

    private int spaceFrom(int p) {
        while (p < end && space(b[p])) {
            p++;
        }
        return p;
    }

    /**
     * One JSON number (RFC 8259 grammar). Without fraction or exponent: an INT64. Otherwise a double: when the
     * digits (at most 15) and the power of ten (at most 22) are both exact in a double, one multiplication or
     * division, whose single rounding is correct (Clinger's fast path); {@link Double#parseDouble} for the rest.
     * Returns the position after it, or -1.
     */
    private int number(TensorData tensor, int from) {
        final byte[] b = this.b;
        int p = from;
        boolean negative = b[p] == '-';
        if (negative) {
            p++;
        }
        int digitsStart = p;
        long mantissa = 0;
        if (b[p] == '0') {
            p++;
        } else {
            while (digit(b[p])) {
                mantissa = mantissa * 10 + (b[p++] - '0');
            }
        }
        int intDigits = p - digitsStart;
        if (intDigits == 0) {
            return -1;
        }
        int fracDigits = 0;
        boolean floating = false;
        if (b[p] == '.') {
            floating = true;
            int fracStart = ++p;
            while (digit(b[p])) {
                mantissa = mantissa * 10 + (b[p++] - '0');
            }
            fracDigits = p - fracStart;
            if (fracDigits == 0) {
                return -1;
            }
        }
        int exponent = 0;
        if (b[p] == 'e' || b[p] == 'E') {
            floating = true;
            p++;
            boolean negativeExponent = b[p] == '-';
            if (b[p] == '-' || b[p] == '+') {
                p++;
            }
            int expStart = p;
            while (digit(b[p]) && p - expStart < 9) {
                exponent = exponent * 10 + (b[p++] - '0');
            }
            if (p == expStart || digit(b[p])) {
                return -1;
            }
            exponent = negativeExponent ? -exponent : exponent;
        }
        if (!floating) {
            return integer(tensor, digitsStart, intDigits, negative) ? p : -1;
        }
        int power = exponent - fracDigits;
        if (intDigits + fracDigits <= 15 && power >= -22 && power <= 22) {
            double value = power >= 0 ? mantissa * POWERS[power] : mantissa / POWERS[-power];
            tensor.addDouble(negative ? -value : value);
            return p;
        }
        tensor.addDouble(Double.parseDouble(new String(b, from, p - from, StandardCharsets.ISO_8859_1)));
        return p;
    }

    private boolean integer(TensorData tensor, int digitsStart, int digits, boolean negative) {
        if (digits > 19) {
            return false;
        }
        long value = 0;
        for (int i = digitsStart; i < digitsStart + digits; i++) {
            int d = b[i] - '0';
            if (value > (Long.MAX_VALUE - d) / 10) {
                // Beyond INT64 (Jackson's range error, so Jackson reads it), except Long.MIN_VALUE itself.
                if (negative && i == digitsStart + digits - 1 && value == Long.MAX_VALUE / 10 && d == 8) {
                    tensor.addLong(Long.MIN_VALUE);
                    return true;
                }
                return false;
            }
            value = value * 10 + d;
        }
        tensor.addLong(negative ? -value : value);
        return true;
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    private static boolean space(byte c) {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    private void skipSpace() {
        pos = spaceFrom(pos);
    }
}
