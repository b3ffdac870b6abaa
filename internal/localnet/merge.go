package localnet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// DeepMerge merges src into dst: maps merge key by key, any other value (lists
// included) replaces the one in dst, as Ignite does. It returns dst.
func DeepMerge(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sm, ok := asMap(v); ok {
			if dm, ok := asMap(dst[k]); ok {
				dst[k] = DeepMerge(dm, sm)
				continue
			}
			dst[k] = DeepMerge(map[string]any{}, sm)
			continue
		}
		dst[k] = v
	}
	return dst
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any: // YAML decoders may still produce these
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[fmt.Sprint(k)] = v
		}
		return out, true
	}
	return nil, false
}

// mergeJSONFile deep-merges overrides into the JSON document at path.
func mergeJSONFile(path string, overrides map[string]any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep big integers exact
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	doc = DeepMerge(doc, overrides)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return os.WriteFile(path, append(out, '\n'), 0o644)
}

// PatchTOMLFile applies overrides to a TOML file in place. Nested maps name sections
// ({"p2p": {"laddr": "..."}} sets laddr under [p2p]); lines are replaced where the key
// exists, so the file keeps its comments, and appended to their section otherwise.
func PatchTOMLFile(path string, overrides map[string]any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := PatchTOML(string(raw), overrides)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

// PatchTOML is PatchTOMLFile on a string. The result is checked to parse.
func PatchTOML(doc string, overrides map[string]any) (string, error) {
	flat := map[string]map[string]any{} // section -> key -> value
	flattenTOML("", overrides, flat)
	lines := strings.Split(doc, "\n")
	for _, section := range sortedKeys(flat) {
		for _, key := range sortedKeys(flat[section]) {
			val, err := tomlValue(flat[section][key])
			if err != nil {
				return "", fmt.Errorf("value of %s.%s: %w", section, key, err)
			}
			lines = setTOMLKey(lines, section, key, val)
		}
	}
	out := strings.Join(lines, "\n")
	var check map[string]any
	if err := toml.Unmarshal([]byte(out), &check); err != nil {
		return "", fmt.Errorf("patched TOML does not parse: %w", err)
	}
	return out, nil
}

func flattenTOML(section string, m map[string]any, out map[string]map[string]any) {
	for k, v := range m {
		if sub, ok := asMap(v); ok {
			name := k
			if section != "" {
				name = section + "." + k
			}
			flattenTOML(name, sub, out)
			continue
		}
		if out[section] == nil {
			out[section] = map[string]any{}
		}
		out[section][k] = v
	}
}

// tomlValue renders one value as TOML (quoted string, number, bool, array).
func tomlValue(v any) (string, error) {
	b, err := toml.Marshal(map[string]any{"v": v})
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	return strings.TrimSpace(strings.TrimPrefix(s, "v =")), nil
}

// setTOMLKey sets key = val in [section] ("" is the top level, before any header).
func setTOMLKey(lines []string, section, key, val string) []string {
	cur := ""
	sectionEnd := -1 // index after the last line of the section
	if section == "" {
		sectionEnd = 0
	}
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			cur = strings.Trim(strings.TrimSpace(strings.SplitN(t, "#", 2)[0]), "[]")
			if cur == section {
				sectionEnd = i + 1
			}
			continue
		}
		if cur != section {
			continue
		}
		if t != "" {
			sectionEnd = i + 1
		}
		if eq := strings.Index(t, "="); eq > 0 && !strings.HasPrefix(t, "#") {
			if strings.Trim(strings.TrimSpace(t[:eq]), `"`) == key {
				lines[i] = key + " = " + val
				return lines
			}
		}
	}
	if sectionEnd < 0 { // section absent: add it at the end
		return append(lines, "", "["+section+"]", key+" = "+val)
	}
	out := append([]string{}, lines[:sectionEnd]...)
	out = append(out, key+" = "+val)
	return append(out, lines[sectionEnd:]...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
