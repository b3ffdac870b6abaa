package proc

// Processes this program did not start, or that outlive the one that started them.

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Stop by pid works on a process this program did not start: an orphan whose exit is
// seen by polling /proc.
func TestStopOrphanByPID(t *testing.T) {
	out, err := exec.Command("sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!").Output()
	require.NoError(t, err)
	var pid int
	_, err = fmt.Sscan(string(out), &pid)
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	require.True(t, Alive(pid))
	require.True(t, HasArg(pid, "sleep"))
	require.False(t, WaitExit(pid, nil, 200*time.Millisecond))

	require.NoError(t, Stop(pid, false, nil, 5*time.Second))
	require.False(t, Alive(pid), "gone, or a zombie nobody reaps")
	require.False(t, HasArg(pid, "sleep"))
	require.True(t, WaitExit(pid, nil, time.Second))
}

func TestAliveOfNoProcess(t *testing.T) {
	require.False(t, Alive(0))
	require.False(t, Alive(-1))
	require.False(t, Alive(1<<30))
	require.True(t, Alive(os.Getpid()))
	require.True(t, HasArg(os.Getpid(), os.Args[0]))
}

// deathHelperEnv makes TestDeathSignal's binary the parent that dies: it starts
// `sleep 30` (with the death signal when the value is "kill"), prints its pid and exits.
const deathHelperEnv = "PROC_TEST_DEATH_HELPER"

func TestDeathSignal(t *testing.T) {
	if mode := os.Getenv(deathHelperEnv); mode != "" {
		o := Options{}
		if mode == "kill" {
			o.DeathSignal = syscall.SIGKILL
		}
		p, err := Start("sleep", []string{"30"}, o)
		if err != nil {
			os.Exit(2)
		}
		fmt.Println(p.Pid())
		os.Exit(0)
	}
	grandchild := func(mode string) int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDeathSignal$", "-test.count=1")
		cmd.Env = Env(deathHelperEnv + "=" + mode)
		out, err := cmd.Output()
		require.NoError(t, err)
		var pid int
		_, err = fmt.Sscan(string(out), &pid)
		require.NoError(t, err, "%q", out)
		t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
		return pid
	}
	killed := grandchild("kill")
	require.True(t, WaitExit(killed, nil, 5*time.Second), "the child dies with its parent")
	kept := grandchild("none")
	require.False(t, WaitExit(kept, nil, 300*time.Millisecond), "without a death signal it outlives its parent")
	require.NoError(t, Stop(kept, false, nil, 5*time.Second))
}
