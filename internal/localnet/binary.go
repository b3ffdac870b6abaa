package localnet

// SetBinary makes the network run path from now on: nodes started afterwards and the
// CLI (Client) use it, and the state file records it. This is a software upgrade done by
// hand: stop the nodes where x/upgrade stopped them, SetBinary, start them again.
func (n *Network) SetBinary(path string) error {
	abs, err := resolveBinary(path)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.st.Binary = abs
	return n.saveLocked()
}
