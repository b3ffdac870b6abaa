package e2e

import (
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// Get fetches url and returns the status code and the body; it fails the test when the
// request itself fails.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url) //nolint:gosec // G107: a loopback URL the test built
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}
