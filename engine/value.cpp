#include "value.h"

#include <cstdio>

namespace ordo {

const char* value_kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::Null:
      return "nothing";
    case ValueKind::Bool:
      return "boolean";
    case ValueKind::Int:
      return "integer";
    case ValueKind::Double:
      return "float";
    case ValueKind::String:
      return "string";
    case ValueKind::List:
      return "list";
    case ValueKind::Table:
      return "table";
  }
  return "?";
}

const Value* table_find(const ValueTable& t, std::string_view key) {
  for (const auto& [k, v] : t)
    if (k == key) return &v;
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  if (!is_table()) return nullptr;
  return table_find(as_table(), key);
}

Value* Value::find(std::string_view key) {
  if (!is_table()) return nullptr;
  for (auto& [k, v] : as_table())
    if (k == key) return &v;
  return nullptr;
}

void Value::set(std::string key, Value v) {
  if (Value* existing = find(key)) {
    *existing = std::move(v);
    return;
  }
  as_table().emplace_back(std::move(key), std::move(v));
}

static std::string format_double(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

static std::string json_escape(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Value::to_string() const {
  switch (kind()) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Bool:
      return as_bool() ? "true" : "false";
    case ValueKind::Int:
      return std::to_string(as_int());
    case ValueKind::Double:
      return format_double(as_double());
    case ValueKind::String:
      return json_escape(as_string());
    case ValueKind::List: {
      std::string out = "[";
      for (size_t i = 0; i < as_list().size(); ++i) {
        if (i) out += ", ";
        out += as_list()[i].to_string();
      }
      return out + "]";
    }
    case ValueKind::Table: {
      std::string out = "{ ";
      bool first = true;
      for (const auto& [k, v] : as_table()) {
        if (!first) out += ", ";
        first = false;
        out += k + " = " + v.to_string();
      }
      return out + (first ? "}" : " }");
    }
  }
  return "";
}

std::string Value::to_text() const {
  switch (kind()) {
    case ValueKind::Null:
      return "";
    case ValueKind::String:
      return as_string();
    case ValueKind::List: {
      std::string out;
      for (size_t i = 0; i < as_list().size(); ++i) {
        if (i) out += " ";
        out += as_list()[i].to_text();
      }
      return out;
    }
    default:
      return to_string();
  }
}

std::string Value::to_json() const {
  switch (kind()) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Bool:
      return as_bool() ? "true" : "false";
    case ValueKind::Int:
      return std::to_string(as_int());
    case ValueKind::Double:
      return format_double(as_double());
    case ValueKind::String:
      return json_escape(as_string());
    case ValueKind::List: {
      std::string out = "[";
      for (size_t i = 0; i < as_list().size(); ++i) {
        if (i) out += ",";
        out += as_list()[i].to_json();
      }
      return out + "]";
    }
    case ValueKind::Table: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, v] : as_table()) {
        if (!first) out += ",";
        first = false;
        out += json_escape(k) + ":" + v.to_json();
      }
      return out + "}";
    }
  }
  return "null";
}

bool Value::same_as(const Value& other) const {
  if (kind() != other.kind()) return false;
  switch (kind()) {
    case ValueKind::List: {
      const auto &a = as_list(), &b = other.as_list();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!a[i].same_as(b[i])) return false;
      return true;
    }
    case ValueKind::Table: {
      const auto &a = as_table(), &b = other.as_table();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i].first != b[i].first || !a[i].second.same_as(b[i].second)) return false;
      return true;
    }
    case ValueKind::Null:
      return true;
    case ValueKind::Bool:
      return as_bool() == other.as_bool();
    case ValueKind::Int:
      return as_int() == other.as_int();
    case ValueKind::Double:
      return as_double() == other.as_double();
    case ValueKind::String:
      return as_string() == other.as_string();
  }
  return false;
}

}  // namespace ordo
