#include "value_json.h"

namespace ordo {

Json to_json(const ValueTable& t) {
  Json o = Json::object();
  for (const auto& [k, v] : t) o[k] = to_json(v);
  return o;
}

Json to_json(const Value& v) {
  switch (v.kind()) {
    case ValueKind::Null:
      return nullptr;
    case ValueKind::Bool:
      return v.as_bool();
    case ValueKind::Int:
      return v.as_int();
    case ValueKind::Double:
      return v.as_double();
    case ValueKind::String:
      return v.as_string();
    case ValueKind::List: {
      Json a = Json::array();
      for (const Value& x : v.as_list()) a.push_back(to_json(x));
      return a;
    }
    case ValueKind::Table:
      return to_json(v.as_table());
  }
  return nullptr;
}

Value to_value(const Json& j) {
  if (j.is_boolean()) return Value(j.get<bool>());
  if (j.is_number_integer()) return Value(j.get<int64_t>());
  if (j.is_number_float()) return Value(j.get<double>());
  if (j.is_string()) return Value(j.get<std::string>());
  if (j.is_array()) {
    ValueList list;
    for (const Json& x : j) list.push_back(to_value(x));
    return Value(std::move(list));
  }
  if (j.is_object()) {
    ValueTable t;
    for (auto it = j.begin(); it != j.end(); ++it) t.emplace_back(it.key(), to_value(it.value()));
    return Value(std::move(t));
  }
  return Value();
}

std::string json_str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace ordo
