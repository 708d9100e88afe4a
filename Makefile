# aTES — `make up` starts everything locally, `make test` runs every test.
SHELL := /bin/bash
NODE := node --import tsx
TESTS = $(shell find contracts workers scripts \( -name '*.test.ts' -o -name '*.test.tsx' \) -not -path '*/node_modules/*' | sort)

.PHONY: help up test typecheck contracts install nats-server

help:
	@echo "make up          start NATS and every worker (Ctrl-C stops all)"
	@echo "make test        install what is needed and run every test"
	@echo "make contracts   regenerate JSON Schema and AsyncAPI files from contracts/"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: node_modules/.installed

nats-server:
	@scripts/ensure-nats-server.sh

up: install nats-server
	@$(NODE) scripts/up.ts

typecheck: install
	npx tsc --noEmit

test: install nats-server typecheck
	$(NODE) --test --test-reporter=spec --test-concurrency=2 $(TESTS)

contracts: install
	$(NODE) contracts/generate.ts
