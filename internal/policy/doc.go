// Package policy decides whether a package request may go ahead: allow,
// deny, or review (a person must approve), with findings an agent can act
// on.
//
// A policy file (YAML, schema version 1, docs/policy.md) is read strictly by
// [Parse]: unknown keys, duplicate keys and bad values are errors with
// their line and column. [Default] is the embedded default policy
// (default.yaml); rules a file does not mention keep the defaults, so every
// policy denies what is dangerous unless it says otherwise.
//
// [New] combines a [Config] with immutable data snapshots (advisories,
// the popular-name list, extra exceptions, a clock) into a [Policy], whose
// [Policy.Decide] is a pure function of the policy and one [Candidate]: an
// entry of a requirements file or pip command line (package reqfile), a
// concrete release (the install pipeline and the proxy), or a whole
// project (the proxy). [Policy.Check] decides a list of entries and builds
// the [Report] that `airlock check` and POST /v1/check return.
//
// Names are compared in PEP 503 form everywhere. Every finding names its
// [Rule]; exceptions (accepted risks with a reason and an expiry) turn a
// finding of their rule, for their name and versions, into an allow that
// records the exception; expired and unused exceptions are reported in the
// notes. Custom rules are CEL expressions over [CELCandidate], type-checked
// when the policy is built and bounded in cost when evaluated; an
// evaluation error counts as a match (fail closed).
//
// The package does no I/O and does not log.
package policy
