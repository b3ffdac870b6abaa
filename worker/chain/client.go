// Package chain is the worker's client of a Sovra node: queries over gRPC, transactions
// signed offline by the worker key and broadcast over CometBFT RPC.
package chain

import (
	"context"
	"fmt"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/sovra-network/sovra/app/params"
	"github.com/sovra-network/sovra/txclient"
	providertypes "github.com/sovra-network/sovra/x/provider/types"
	tasktypes "github.com/sovra-network/sovra/x/task/types"
	verifytypes "github.com/sovra-network/sovra/x/verify/types"
)

// Encoding returns the chain's codecs (app/params: built without an app).
func Encoding() params.EncodingConfig { return params.Encoding() }

// Client talks to one node.
type Client struct {
	enc     params.EncodingConfig
	chainID string
	rpcAddr string
	rpc     *rpchttp.HTTP
	grpc    *grpc.ClientConn
	tx      txclient.Node // accounts, simulation, broadcast and inclusion, for the signer
}

// Dial connects lazily (no request is made): gRPC at grpcAddr (host:port) and CometBFT
// RPC at rpcAddr (tcp://host:port).
func Dial(chainID, grpcAddr, rpcAddr string) (*Client, error) {
	enc := Encoding()
	rc, err := rpchttp.NewWithTimeout(rpcAddr, "/websocket", 30)
	if err != nil {
		return nil, fmt.Errorf("rpc client for %s: %w", rpcAddr, err)
	}
	gc, err := grpc.NewClient(grpcAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.(codec.GRPCCodecProvider).GRPCCodec())))
	if err != nil {
		return nil, fmt.Errorf("grpc client for %s: %w", grpcAddr, err)
	}
	return &Client{enc: enc, chainID: chainID, rpcAddr: rpcAddr, rpc: rc, grpc: gc, tx: txclient.NewNode(gc, rc)}, nil
}

// Close releases the gRPC connection.
func (c *Client) Close() error { return c.grpc.Close() }

// ChainID is the configured chain id.
func (c *Client) ChainID() string { return c.chainID }

// Status returns the node's chain id and latest height.
func (c *Client) Status(ctx context.Context) (string, int64, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("rpc status: %w", err)
	}
	return st.NodeInfo.Network, st.SyncInfo.LatestBlockHeight, nil
}

// WaitReady retries Status until the node answers or ctx ends, and checks the chain id.
func (c *Client) WaitReady(ctx context.Context, logf func(string, ...any)) (int64, error) {
	delay := 250 * time.Millisecond
	for {
		id, h, err := c.Status(ctx)
		if err == nil && id != c.chainID {
			return 0, fmt.Errorf("node is on chain %q, the config says %q", id, c.chainID)
		}
		if err == nil {
			// A node that has just restarted answers RPC before its gRPC queries work (no
			// block finalized yet): ready means both.
			_, err = providertypes.NewQueryClient(c.grpc).Params(ctx, &providertypes.QueryParamsRequest{})
			if err == nil {
				return h, nil
			}
			err = fmt.Errorf("grpc query: %w", err)
		}
		if logf != nil {
			logf("chain not reachable yet (%v); retrying in %s", err, delay)
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("chain unreachable: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(delay):
		}
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

// Model returns a registered model.
func (c *Client) Model(ctx context.Context, id string) (providertypes.Model, error) {
	res, err := providertypes.NewQueryClient(c.grpc).Model(ctx, &providertypes.QueryModelRequest{Id: id})
	if err != nil {
		return providertypes.Model{}, fmt.Errorf("query model %q: %w", id, err)
	}
	return res.Model, nil
}

// Provider returns a provider.
func (c *Client) Provider(ctx context.Context, addr string) (providertypes.Provider, error) {
	res, err := providertypes.NewQueryClient(c.grpc).Provider(ctx, &providertypes.QueryProviderRequest{Address: addr})
	if err != nil {
		return providertypes.Provider{}, fmt.Errorf("query provider %s: %w", addr, err)
	}
	return res.Provider, nil
}

// Job returns a job.
func (c *Client) Job(ctx context.Context, id uint64) (tasktypes.Job, error) {
	res, err := tasktypes.NewQueryClient(c.grpc).Job(ctx, &tasktypes.QueryJobRequest{Id: id})
	if err != nil {
		return tasktypes.Job{}, fmt.Errorf("query job %d: %w", id, err)
	}
	return res.Job, nil
}

// AssignedJobs returns every job assigned to the provider and not yet committed. The
// Jobs query takes one filter only; the ASSIGNED set is small (it empties at each
// deadline), so it is filtered by provider here.
func (c *Client) AssignedJobs(ctx context.Context, provider string) ([]tasktypes.Job, error) {
	qc := tasktypes.NewQueryClient(c.grpc)
	var out []tasktypes.Job
	var key []byte
	for {
		res, err := qc.Jobs(ctx, &tasktypes.QueryJobsRequest{
			Status:     tasktypes.JOB_STATUS_ASSIGNED,
			Pagination: &query.PageRequest{Key: key, Limit: 100},
		})
		if err != nil {
			return nil, fmt.Errorf("query jobs assigned to %s: %w", provider, err)
		}
		for _, j := range res.Jobs {
			if j.Provider == provider && j.Status == tasktypes.JOB_STATUS_ASSIGNED {
				out = append(out, j)
			}
		}
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}

// Account returns an address's account number and committed sequence.
func (c *Client) Account(ctx context.Context, addr string) (accNum, seq uint64, err error) {
	return c.tx.Account(ctx, addr)
}

// AuditsOf returns the open audits (open, commit or reveal phase) where operator is a
// drawn verifier, and those of its own jobs.
func (c *Client) AuditsOf(ctx context.Context, operator string) (asVerifier, asProvider []verifytypes.Audit, err error) {
	qc := verifytypes.NewQueryClient(c.grpc)
	list := func(req *verifytypes.QueryAuditsRequest) ([]verifytypes.Audit, error) {
		var out []verifytypes.Audit
		var key []byte
		for {
			req.Pagination = &query.PageRequest{Key: key, Limit: 100}
			res, err := qc.Audits(ctx, req)
			if err != nil {
				return nil, fmt.Errorf("query audits: %w", err)
			}
			for _, a := range res.Audits {
				if a.Status == verifytypes.AUDIT_STATUS_OPEN || a.Status == verifytypes.AUDIT_STATUS_COMMIT || a.Status == verifytypes.AUDIT_STATUS_REVEAL {
					out = append(out, a)
				}
			}
			if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
				return out, nil
			}
			key = res.Pagination.NextKey
		}
	}
	// By open phase: the chain walks its (small) index of open audits, not every audit the
	// provider ever had.
	for _, st := range []verifytypes.AuditStatus{verifytypes.AUDIT_STATUS_OPEN, verifytypes.AUDIT_STATUS_COMMIT, verifytypes.AUDIT_STATUS_REVEAL} {
		v, err := list(&verifytypes.QueryAuditsRequest{Verifier: operator, Status: st})
		if err != nil {
			return nil, nil, err
		}
		p, err := list(&verifytypes.QueryAuditsRequest{Provider: operator, Status: st})
		if err != nil {
			return nil, nil, err
		}
		asVerifier, asProvider = append(asVerifier, v...), append(asProvider, p...)
	}
	return latest(asVerifier), latest(asProvider), nil
}

// latest keeps one entry per job, the last seen: an audit that moved to its next phase
// between two queries is listed twice.
func latest(audits []verifytypes.Audit) []verifytypes.Audit {
	at := map[uint64]int{}
	var out []verifytypes.Audit
	for _, a := range audits {
		if i, ok := at[a.JobId]; ok {
			out[i] = a
			continue
		}
		at[a.JobId] = len(out)
		out = append(out, a)
	}
	return out
}

// Audit returns the audit of a job (an error when the job was not audited).
func (c *Client) Audit(ctx context.Context, jobID uint64) (verifytypes.Audit, error) {
	res, err := verifytypes.NewQueryClient(c.grpc).Audit(ctx, &verifytypes.QueryAuditRequest{JobId: jobID})
	if err != nil {
		return verifytypes.Audit{}, fmt.Errorf("query audit of job %d: %w", jobID, err)
	}
	return res.Audit, nil
}
