package cassandralogsexporter

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readmeOptions returns option -> default from the README's option table.
func readmeOptions(t *testing.T) map[string]string {
	text, err := os.ReadFile("README.md")
	require.NoError(t, err)
	s := string(text)
	begin, end := strings.Index(s, "<!-- options:begin"), strings.Index(s, "<!-- options:end")
	require.True(t, begin >= 0 && end > begin, "README.md needs the options:begin/end markers")
	row := regexp.MustCompile("^\\| `([a-z_.]+)` \\| `([^`]*)` \\|")
	out := map[string]string{}
	for _, line := range strings.Split(s[begin:end], "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			out[m[1]] = m[2]
		}
	}
	return out
}

// configOptions returns option -> default value from the Config struct tags and createDefaultConfig.
// Our own nested structs are walked; the collector's (tls, sending_queue, retry_on_failure) are one option each.
func configOptions() map[string]any {
	out := map[string]any{}
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			tag := strings.Split(f.Tag.Get("mapstructure"), ",")
			if f.Name == "_" || tag[0] == "-" {
				continue
			}
			if len(tag) > 1 && tag[1] == "squash" {
				walk(prefix, v.Field(i))
				continue
			}
			key := prefix + tag[0]
			if f.Type.Kind() == reflect.Struct && strings.HasPrefix(f.Type.PkgPath(), "github.com/mirador-signals/") {
				walk(key+".", v.Field(i))
				continue
			}
			out[key] = v.Field(i).Interface()
		}
	}
	walk("", reflect.ValueOf(createDefaultConfig()).Elem())
	return out
}

func TestReadmeListsEveryOptionWithItsDefault(t *testing.T) {
	readme, config := readmeOptions(t), configOptions()
	var readmeKeys, configKeys []string
	for k := range readme {
		readmeKeys = append(readmeKeys, k)
	}
	for k := range config {
		configKeys = append(configKeys, k)
	}
	sort.Strings(readmeKeys)
	sort.Strings(configKeys)
	require.Equal(t, configKeys, readmeKeys, "README option table and Config differ")

	for key, value := range config {
		doc := readme[key]
		switch v := value.(type) {
		case string:
			if v == "" {
				v = `""`
			}
			assert.Equal(t, v, doc, key)
		case int:
			assert.Equal(t, strconv.Itoa(v), doc, key)
		case bool:
			assert.Equal(t, strconv.FormatBool(v), doc, key)
		case time.Duration:
			d, err := time.ParseDuration(doc)
			require.NoError(t, err, key)
			assert.Equal(t, v, d, key)
		case []string:
			assert.Equal(t, "["+strings.Join(v, ", ")+"]", doc, key)
		case map[string]int:
			assert.Equal(t, "{}", doc, key)
			assert.Empty(t, v, key)
		}
	}
	assert.Equal(t, "0s", strings.TrimSuffix(strings.Split(strings.Split(readme["retry_on_failure"], "max_elapsed_time: ")[1], "}")[0], " "))
}
