// Package apiserver serves the worker's own API: gRPC (sovra.worker.v1.WorkerService),
// the same service as REST through grpc-gateway v2 (/v1/status, /v1/jobs, /v1/jobs/{id}),
// /healthz and Prometheus /metrics. It only reads; nothing it serves can move funds.
package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	workerv1 "github.com/sovra-network/sovra/worker/api/workerv1"
	"github.com/sovra-network/sovra/worker/health"
	"github.com/sovra-network/sovra/worker/store"
)

// Source is what the API reads from a running worker.
type Source interface {
	Status() (*workerv1.StatusResponse, error)
	Store() *store.Store
	// Health is the last success and failure of each step of the worker's loop, served
	// on /healthz.
	Health() health.Report
}

// HealthMaxSilence: /healthz fails when the node has not answered for this long.
const HealthMaxSilence = health.MaxSilence

// Limits of the Jobs listing.
const (
	DefaultJobsLimit = 100
	MaxJobsLimit     = 1000
)

// Server is the running API.
type Server struct {
	grpc     *grpc.Server
	http     *http.Server
	GRPCAddr string // bound address, "" when disabled
	HTTPAddr string
}

// Start listens on grpcAddr and httpAddr (either may be "" to disable it; port 0 picks a
// free port) and serves until Close.
func Start(src Source, reg *prometheus.Registry, grpcAddr, httpAddr string) (*Server, error) {
	s := &Server{}
	svc := &service{src: src}
	if grpcAddr != "" {
		lis, err := net.Listen("tcp", grpcAddr)
		if err != nil {
			return nil, fmt.Errorf("worker gRPC API on %s: %w", grpcAddr, err)
		}
		s.grpc = grpc.NewServer()
		workerv1.RegisterWorkerServiceServer(s.grpc, svc)
		s.GRPCAddr = lis.Addr().String()
		go func() { _ = s.grpc.Serve(lis) }()
	}
	if httpAddr != "" {
		lis, err := net.Listen("tcp", httpAddr)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("worker HTTP API on %s: %w", httpAddr, err)
		}
		// snake_case names as in the .proto, zero values included: what curl users expect.
		gw := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
			MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		}))
		if err := workerv1.RegisterWorkerServiceHandlerServer(context.Background(), gw, svc); err != nil {
			lis.Close()
			s.Close()
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("/v1/", gw)
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		// 200 while every step of the loop is healthy, 503 otherwise; the body is the report:
		// status, reason, and each step's last success and failure.
		mux.HandleFunc("/healthz", func(rw http.ResponseWriter, _ *http.Request) {
			rw.Header().Set("Content-Type", "application/json")
			rep := src.Health()
			if rep.Err() != nil {
				rw.WriteHeader(http.StatusServiceUnavailable)
			}
			_ = json.NewEncoder(rw).Encode(rep)
		})
		s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		s.HTTPAddr = lis.Addr().String()
		go func() { _ = s.http.Serve(lis) }()
	}
	return s, nil
}

// Close stops both servers.
func (s *Server) Close() {
	if s.grpc != nil {
		s.grpc.Stop()
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.http.Shutdown(ctx)
	}
}

type service struct {
	workerv1.UnimplementedWorkerServiceServer
	src Source
}

func (s *service) Status(context.Context, *workerv1.StatusRequest) (*workerv1.StatusResponse, error) {
	st, err := s.src.Status()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read worker status: %v", err)
	}
	return st, nil
}

func (s *service) Jobs(_ context.Context, req *workerv1.JobsRequest) (*workerv1.JobsResponse, error) {
	limit := int(req.Limit)
	switch {
	case limit == 0:
		limit = DefaultJobsLimit
	case limit > MaxJobsLimit:
		return nil, status.Errorf(codes.InvalidArgument, "limit %d above %d", limit, MaxJobsLimit)
	}
	switch store.Status(req.Status) {
	case "", store.StatusBuilt, store.StatusCommitted, store.StatusFailed:
	default:
		return nil, status.Errorf(codes.InvalidArgument, "status %q must be built, committed or failed", req.Status)
	}
	recs, err := s.src.Store().List()
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read store: %v", err)
	}
	res := &workerv1.JobsResponse{}
	for i := len(recs) - 1; i >= 0; i-- { // newest first
		r := recs[i]
		if req.Status != "" && string(r.Status) != req.Status {
			continue
		}
		res.Total++
		if len(res.Jobs) < limit {
			res.Jobs = append(res.Jobs, toProto(r))
		}
	}
	return res, nil
}

func (s *service) Job(_ context.Context, req *workerv1.JobRequest) (*workerv1.JobResponse, error) {
	if req.Id == 0 {
		return nil, status.Error(codes.InvalidArgument, "job id must be positive")
	}
	r, err := s.src.Store().Get(req.Id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "the worker has no record of job %d", req.Id)
	}
	if err != nil {
		return nil, status.Errorf(codes.Internal, "read store: %v", err)
	}
	return &workerv1.JobResponse{Job: toProto(r)}, nil
}

// toProto exposes a record without its salt, which stays private until a reveal.
func toProto(r store.Record) *workerv1.JobRecord {
	return &workerv1.JobRecord{
		Id: r.JobID, ModelId: r.ModelID, Status: string(r.Status), OutputHash: r.OutputHash,
		Commitment: r.Commitment, PromptTokens: uint32(len(r.PromptTokens)), OutputTokens: uint32(len(r.OutputTokens)),
		Text: r.Text, InferenceMs: r.InferenceMs, TxHash: r.TxHash, CommitHeight: r.CommitHeight,
		Attempts: uint32(r.Attempts), Error: r.Error,
	}
}
