package dev.quartet.worker.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The benchmark's load generator: one kept-alive HTTP/1.1 connection per client thread, the whole request (headers
 * and body) built once and written with one call, the answer read with a minimal parser (Content-Length or chunked).
 * It exists because the JDK's {@code HttpClient} costs the benchmark JVM 10-14 ms of CPU per 600 kB request, CPU
 * that on a 2-core machine the worker under test then lacks while in-process calls pay nothing of the kind; a load
 * generator such as {@code wrk} is this lean. Closing it closes every connection it opened.
 */
final class LeanHttpClient implements WorkerBenchmark.Call, AutoCloseable {

    private final String host;
    private final int port;
    private final byte[] request;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final ThreadLocal<Connection> connection = new ThreadLocal<>();

    LeanHttpClient(String url, byte[] body, String... headers) {
        URI uri = URI.create(url);
        host = uri.getHost();
        port = uri.getPort();
        StringBuilder head = new StringBuilder("POST ")
                .append(uri.getRawPath())
                .append(" HTTP/1.1\r\n")
                .append("Host: ")
                .append(host)
                .append(':')
                .append(port)
                .append("\r\n")
                .append("Content-Length: ")
                .append(body.length)
                .append("\r\n");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            head.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        byte[] h = head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
        request = new byte[h.length + body.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(body, 0, request, h.length, body.length);
    }

    @Override
    public void call() throws IOException {
        Connection c = connection.get();
        if (c == null) {
            c = new Connection(new Socket(host, port));
            connections.add(c);
            connection.set(c);
        }
        c.out.write(request);
        c.out.flush();
        Response response = c.read();
        if (response.status != 200) {
            throw new IllegalStateException(
                    "HTTP " + response.status + ": " + new String(response.body, StandardCharsets.UTF_8));
        }
        if (response.close) {
            c.socket.close();
            connections.remove(c);
            connection.remove();
        }
    }

    @Override
    public void close() {
        for (Connection c : connections) {
            try {
                c.socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        connections.clear();
    }

    private record Response(int status, byte[] body, boolean close) {}

    private static final class Connection {
        final Socket socket;
        final OutputStream out;
        final InputStream in;

        Connection(Socket socket) throws IOException {
            this.socket = socket;
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        }

        Response read() throws IOException {
            String status = line();
            String[] parts = status.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP/1.x status line: " + status);
            }
            int code = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = header.substring(colon + 1).trim();
                switch (name) {
                    case "content-length" -> length = Long.parseLong(value);
                    case "transfer-encoding" ->
                        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                    case "connection" -> close = value.equalsIgnoreCase("close");
                    default -> {}
                }
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            if (chunked) {
                for (long size = Long.parseLong(line().split(";")[0].trim(), 16);
                        size > 0;
                        size = Long.parseLong(line().split(";")[0].trim(), 16)) {
                    copy(size, body);
                    line();
                }
                while (!line().isEmpty()) {
                    // trailers
                }
            } else if (length >= 0) {
                copy(length, body);
            } else {
                throw new IOException("answer without Content-Length or chunked encoding");
            }
            return new Response(code, body.toByteArray(), close);
        }

        private void copy(long n, ByteArrayOutputStream to) throws IOException {
            byte[] buffer = new byte[8192];
            while (n > 0) {
                int read = in.read(buffer, 0, (int) Math.min(buffer.length, n));
                if (read < 0) {
                    throw new IOException("connection closed in the middle of an answer");
                }
                to.write(buffer, 0, read);
                n -= read;
            }
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("connection closed while reading an answer");
                }
                if (b != '\r') {
                    sb.append((char) b);
                }
            }
            return sb.toString();
        }
    }
}
