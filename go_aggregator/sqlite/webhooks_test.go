package sqlite_test

import (
	"testing"
	"time"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/webhooktest"
	"finance/go_aggregator/sqlite"
)

// webhookFixture is a fresh SQLite file; each store the suite asks for is a
// connection of its own to it, like another worker's.
type webhookFixture struct {
	recurringFixture
	path string
}

func (f webhookFixture) Webhooks(t *testing.T) aggregator.WebhookStore { return mustOpen(t, f.path) }

// DateTime is Django's text form here.
func (f webhookFixture) DateTime(t time.Time) any { return sqlite.DjangoDateTime(t) }

func TestWebhookDeliveries(t *testing.T) {
	webhooktest.Run(t, func(t *testing.T) webhooktest.Fixture {
		path := mustCreateDB(t)
		return webhookFixture{recurringFixture{mustOpen(t, path)}, path}
	})
}
