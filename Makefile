# Loupe. `make run` serves a seeded demo chain; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
ADDR ?= 127.0.0.1:8080
DATA ?= .loupe

# SAM logical id -> function folder. `sam build` calls build-<LogicalId> with
# ARTIFACTS_DIR set; `make build` builds them all into bin/<folder>/bootstrap.
FUNCTIONS := PosWebhookFunction:pos-webhook StaffStreamFunction:staff-stream RepairStreamFunction:repair-stream DashboardApiFunction:dashboard-api TouchpointsFunction:touchpoints SenderFunction:sender SesFeedbackFunction:ses-feedback SmsInboundFunction:sms-inbound SmsEventsFunction:sms-events

GOARCH_LAMBDA ?= arm64
LAMBDA_BUILD = CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH_LAMBDA) $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

.PHONY: run demo test bench lint build tools clean

run: ## serve the seeded demo chain on $(ADDR)
	$(GO) run ./cmd/loupe demo --addr $(ADDR) --data $(DATA)/demo

test: node_modules/.package-lock.json ## every test, dynalite and aws-ses-v2-local included
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

bench: node_modules/.package-lock.json ## benchmarks, printed as a table
	$(GO) run ./cmd/benchtable -- $(GO) test -run '^$$' -bench . -benchmem -benchtime $${BENCHTIME:-1x} ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

build: $(foreach f,$(FUNCTIONS),bin/$(word 2,$(subst :, ,$(f)))/bootstrap)

bin/%/bootstrap: FORCE
	$(LAMBDA_BUILD) -o $@ ./functions/$*

define sam_target
build-$(word 1,$(subst :, ,$(1))):
	$(LAMBDA_BUILD) -o $$(ARTIFACTS_DIR)/bootstrap ./functions/$(word 2,$(subst :, ,$(1)))
endef
$(foreach f,$(FUNCTIONS),$(eval $(call sam_target,$(f))))

clean:
	rm -rf bin .aws-sam

FORCE:
