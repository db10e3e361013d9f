package io.jkvm.api.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One JSON object of a request body or of the configuration file, read field by field. The types are checked
 * exactly (no "2" for 2, no 1 for true), as a Firecracker client's JSON is typed; unknown fields are refused, so a
 * misspelt optional field is an error rather than silently its default. Every refusal is a {@link BadRequest} that
 * names where ({@code boot-source}, {@code drives[1]}), the field, the value and what it must be.
 */
public final class JsonBody {
    /** Duplicate keys are refused too: which of the two would win is a guess no client should rely on. */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final String where;
    private final ObjectNode node;

    private JsonBody(String where, ObjectNode node) {
        this.where = where;
        this.node = node;
    }

    /** The shared mapper, for writing responses. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Parses bytes that must hold one JSON object; where names it in messages ("the PUT /boot-source body"). */
    public static JsonBody parse(String where, byte[] json) {
        if (json.length == 0) {
            throw new BadRequest(where + " is empty: send a JSON object");
        }
        JsonNode n;
        try (JsonParser p = MAPPER.createParser(json)) {
            n = MAPPER.readTree(p);
            if (p.nextToken() != null) {
                throw new BadRequest(where + " holds more than one JSON value: send a single object");
            }
        } catch (JsonProcessingException e) {
            throw new BadRequest(where + " is not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (java.io.IOException e) {
            throw new BadRequest(where + " cannot be read: " + e.getMessage(), e);
        }
        return of(where, n);
    }

    /** Reads a JSON file that must hold one object (the --config-file document). */
    public static JsonBody read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadRequest("configuration file " + file + " does not exist", e);
        } catch (java.io.IOException e) {
            throw new BadRequest("cannot read configuration file " + file + ": " + e.getMessage(), e);
        }
        return parse("configuration file " + file, bytes);
    }

    static JsonBody of(String where, JsonNode n) {
        if (n == null || !n.isObject()) {
            throw new BadRequest(where + " must be a JSON object, not " + describe(n));
        }
        return new JsonBody(where, (ObjectNode) n);
    }

    ObjectNode node() {
        return node;
    }

    public String where() {
        return where;
    }

    /** Refuses any field outside allowed; names them all, so that one answer shows every misspelling. */
    public JsonBody allow(Set<String> allowed) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                unknown.add(f);
            }
        }
        if (!unknown.isEmpty()) {
            throw new BadRequest(String.format("%s: unknown field%s %s: the fields are %s", where,
                    unknown.size() == 1 ? "" : "s", quoteAll(unknown), String.join(", ", new TreeSet<>(allowed))));
        }
        return this;
    }

    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** A string field; null when absent (or JSON null) and not required. */
    public String string(String field, boolean required) {
        JsonNode v = value(field, required);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw wrongType(field, v, "a string");
        }
        return v.textValue();
    }

    /** A non-empty string field. */
    public String nonEmptyString(String field, boolean required) {
        String s = string(field, required);
        if (s != null && s.isEmpty()) {
            throw new BadRequest(String.format("%s: field '%s' is empty: it must name something", where, field));
        }
        return s;
    }

    /** A boolean field, or fallback when absent. */
    public boolean bool(String field, boolean required, boolean fallback) {
        JsonNode v = value(field, required);
        if (v == null) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw wrongType(field, v, "true or false");
        }
        return v.booleanValue();
    }

    /** An integer field in [min, max], or fallback when absent. */
    public long integer(String field, boolean required, long min, long max, long fallback) {
        JsonNode v = value(field, required);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber()) {
            throw wrongType(field, v, String.format("an integer from %d to %d", min, max));
        }
        if (!v.canConvertToLong() || v.longValue() < min || v.longValue() > max) {
            throw new BadRequest(String.format("%s: field '%s' is %s: it must be from %d to %d", where, field,
                    v.asText(), min, max));
        }
        return v.longValue();
    }

    /** One of the given names (an enum of the API); fallback when absent. */
    public String oneOf(String field, boolean required, Set<String> names, String fallback) {
        String s = string(field, required);
        if (s == null) {
            return fallback;
        }
        if (!names.contains(s)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": it must be one of %s", where, field, s,
                    String.join(", ", new TreeSet<>(names))));
        }
        return s;
    }

    /** A nested object field, or null when absent. */
    public JsonBody object(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isObject()) {
            throw wrongType(field, v, "a JSON object");
        }
        return new JsonBody(where + "." + field, (ObjectNode) v);
    }

    /** An array of objects, each named field[i] in messages; empty when absent. */
    public List<JsonBody> objects(String field) {
        JsonNode v = node.get(field);
        List<JsonBody> list = new ArrayList<>();
        if (v == null || v.isNull()) {
            return list;
        }
        if (!v.isArray()) {
            throw wrongType(field, v, "an array of objects");
        }
        for (int i = 0; i < v.size(); i++) {
            list.add(of(field + "[" + i + "]", v.get(i)));
        }
        return list;
    }

    private JsonNode value(String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new BadRequest(String.format("%s: missing field '%s'", where, field));
            }
            return null;
        }
        return v;
    }

    private BadRequest wrongType(String field, JsonNode v, String expected) {
        return new BadRequest(String.format("%s: field '%s' is %s: it must be %s", where, field, describe(v),
                expected));
    }

    /** A value as a message shows it: the JSON text (shortened) and its kind. */
    static String describe(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "nothing";
        }
        String kind = v.isTextual() ? "a string" : v.isBoolean() ? "a boolean" : v.isNumber() ? "a number"
                : v.isArray() ? "an array" : v.isObject() ? "an object" : "null";
        String text = v.toString();
        if (text.length() > 60) {
            text = text.substring(0, 57) + "...";
        }
        return text + " (" + kind + ")";
    }

    private static String quoteAll(List<String> names) {
        List<String> q = new ArrayList<>();
        for (String n : names) {
            q.add("'" + n + "'");
        }
        return String.join(", ", q);
    }

    @Override
    public String toString() {
        return where + " " + node;
    }
}
