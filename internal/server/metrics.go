package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// (several servers in one test process must not share one). Labels hold
// route patterns, status codes and decisions only: never token names or
// request text, which would leak through the unauthenticated /metrics and
// grow without bound.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	inFlight    prometheus.Gauge
	decisions   *prometheus.CounterVec
	auditAppend prometheus.Histogram
	auditErrors prometheus.Counter
	authFail    *prometheus.CounterVec
	limited     *prometheus.CounterVec
	serve       http.Handler
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_http_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "airlock_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10, 60, 300},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "airlock_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_decisions_total", Help: "Decisions recorded in the audit log, by action and decision.",
		}, []string{"action", "decision"}),
		auditAppend: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "airlock_audit_append_seconds", Help: "Time for an audit event to commit.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		auditErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "airlock_audit_append_errors_total", Help: "Audit events that could not be committed (each failed its request).",
		}),
		authFail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_auth_failures_total", Help: "Requests refused for their token, by status (401 or 403).",
		}, []string{"code"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "airlock_limited_total", Help: "Requests refused by a rate, concurrency or size limit, by limit.",
		}, []string{"limit"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.decisions, m.auditAppend, m.auditErrors, m.authFail, m.limited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.serve = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}
