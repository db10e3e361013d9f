package io.jkvm.api.http;

import io.jkvm.api.vm.FakeLauncher;
import io.jkvm.api.vm.MicroVm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP side over a real unix socket: status lines, bodies, the body limit, a malformed request. */
class ApiServerTest {
    @TempDir
    Path dir;

    private static String exchange(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void answersOverTheSocketAndRefusesOversizedBodies() throws Exception {
        Path socket = dir.resolve("api.sock");
        ApiRouter router = new ApiRouter("t", "0.1.0", new MicroVm(), new FakeLauncher(), new ApiLog("t"),
                new MetricsFile());
        try (ApiServer server = ApiServer.start(socket, router)) {
            String r = exchange(socket, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"), r);
            assertTrue(r.endsWith("{\"id\":\"t\",\"state\":\"Not started\",\"vmm_version\":\"0.1.0\","
                    + "\"app_name\":\"jkvm\"}"), r);

            String body = "{\"action_type\":\"InstanceStart\"}";
            r = exchange(socket, "PUT /actions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            assertTrue(r.startsWith("HTTP/1.1 400 Bad Request\r\n"), r);
            assertTrue(r.contains("{\"fault_message\":\"InstanceStart is refused: no boot source"), r);

            String big = "{\"boot_args\":\"" + "x".repeat(ApiServer.MAX_BODY) + "\"}";
            // The headers alone: the answer comes before the body, which the server then does not read.
            r = exchange(socket, "PUT /boot-source HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + big.length()
                    + "\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 400 Bad Request\r\n"), r);
            assertTrue(r.contains("the request body is " + big.length() + " bytes; jkvm accepts at most 51200"), r);

            r = exchange(socket, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            assertTrue(r.startsWith("HTTP/1.1 200 OK\r\n"), "the server keeps serving: " + r);
        }
    }
}
