# aTES — `make up` starts everything locally, `make test` runs every test.
SHELL := /bin/bash
RUN := node --import tsx
TESTS = $(shell find contracts workers scripts \( -name '*.test.ts' -o -name '*.test.tsx' \) -not -path '*/node_modules/*' -not -path 'scripts/faults/*' | sort)
# The fault suite: whole systems under attack, one file at a time (each runs six processes).
FAULTS = $(sort $(wildcard scripts/faults/*.test.ts))

.PHONY: help up build test test-faults typecheck contracts users-conf install nats-server chromium jq cluster cluster-kill cluster-start tail stream-report dlq dlq-redrive replay reconcile seed bench
SUBJECT ?= >
FROM ?= new
WORKER ?=

help:
	@echo "make up          start NATS and every worker (Ctrl-C stops all)"
	@echo "make build       compile the workers into .build/ (make up, cluster, replay and bench do it first)"
	@echo "make test        install what is needed and run every test (the fault suite included)"
	@echo "make test-faults only the fault suite: crashes, broker outages, duplicates, DLQ, security matrix"
	@echo "make contracts   regenerate JSON Schema, AsyncAPI and OpenAPI files from contracts/"
	@echo "make users-conf [INSTANCES=a,b]   write deploy/nats/users.conf from the workers' consumers"
	@echo "make cluster     three JetStream nodes on loopback, streams with 3 replicas, every worker"
	@echo "make cluster-kill NODE=2 / make cluster-start NODE=2   kill or restart one node"
	@echo "make cluster-kill WORKER=billing   SIGKILL the active instance of a worker"
	@echo "make tail [SUBJECT='tasks.>'] [FROM=start]   live events, one line each (SUBJECT=tasks.created: every version)"
	@echo "make stream-report  every stream (messages, bytes, sequences) and consumer (lag, pending acks, redelivered)"
	@echo "make dlq [WORKER=billing]          list dead letters with their reasons"
	@echo "make dlq-redrive [WORKER=billing]  send dead letters back to their subjects"
	@echo "make replay WORKER=analytics       rebuild analytics, billing or audit (stopped) from the streams, compared with before"
	@echo "make reconcile   the audit in one pass over the streams: a report, exit 1 on any difference"
	@echo "make seed        demo accounts and tasks through the HTTP API (stack running)"
	@echo "make bench [BENCH_SCALE=quick|small|full]   baselines and every scenario, a table and .bench/latest.json"

install:
	@scripts/ensure-install.sh

nats-server:
	@scripts/ensure-nats-server.sh

chromium:
	@scripts/ensure-chromium.sh

jq:
	@scripts/ensure-jq.sh

up: install nats-server
	@$(RUN) scripts/up.ts

build: install
	@$(RUN) scripts/build.ts

typecheck: install
	npx tsc --noEmit

test: install nats-server chromium jq typecheck
	$(RUN) --test --test-reporter=spec --test-concurrency=2 $(TESTS)
	@$(MAKE) --no-print-directory test-faults

# Each file appends its counts to a tally; the last line adds them up (and fails on any difference).
test-faults: install nats-server
	@tally=$$(mktemp); \
	ATES_FAULTS_TALLY=$$tally $(RUN) --test --test-reporter=spec --test-concurrency=1 $(FAULTS); tests=$$?; \
	$(RUN) scripts/faults/summary.ts $$tally; summary=$$?; \
	rm -f $$tally; test $$tests -eq 0 -a $$summary -eq 0

contracts: install
	$(RUN) contracts/generate.ts

users-conf: install
	@$(RUN) scripts/users-conf.ts

cluster: install nats-server
	@$(RUN) scripts/cluster.ts run

cluster-kill: install
	@WORKER='$(WORKER)' $(RUN) scripts/cluster.ts kill $(NODE)

cluster-start: install
	@$(RUN) scripts/cluster.ts start $(NODE)

tail: install
	@$(RUN) scripts/tail.ts '$(SUBJECT)' $(FROM)

stream-report: install
	@$(RUN) scripts/stream-report.ts

dlq: install
	@$(RUN) scripts/dlq.ts list $(WORKER)

dlq-redrive: install
	@$(RUN) scripts/dlq.ts redrive $(WORKER)

replay: install
	@$(RUN) scripts/replay.ts $(WORKER)

reconcile: install
	@$(RUN) scripts/reconcile.ts

seed: install
	@$(RUN) scripts/seed.ts

bench: install nats-server
	@$(RUN) scripts/bench/run.ts
