package io.jkvm.api.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.jkvm.api.config.JsonBody;

import java.nio.charset.StandardCharsets;

/** One answer of the API: a status and a JSON body, or none (204). */
public record ApiResponse(int status, byte[] body) {
    public static final int OK = 200;
    public static final int NO_CONTENT = 204;
    public static final int BAD_REQUEST = 400;
    public static final int PAYLOAD_TOO_LARGE = 413;
    public static final int INTERNAL_ERROR = 500;

    public static ApiResponse noContent() {
        return new ApiResponse(NO_CONTENT, new byte[0]);
    }

    public static ApiResponse ok(JsonNode json) {
        try {
            return new ApiResponse(OK, JsonBody.mapper().writeValueAsBytes(json));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Firecracker's error body: {"fault_message": "..."}. */
    public static ApiResponse fault(int status, String message) {
        try {
            return new ApiResponse(status, JsonBody.mapper().writeValueAsBytes(
                    JsonBody.mapper().createObjectNode().put("fault_message", message)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
