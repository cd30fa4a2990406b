package postgres_test

import (
	"testing"
	"time"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/webhooktest"
)

// webhookFixture is a test schema; each store the suite asks for is a
// connection of its own, like another worker's.
type webhookFixture struct{ recurringFixture }

func (f webhookFixture) Webhooks(t *testing.T) aggregator.WebhookStore { return f.d.open(t) }

func (f webhookFixture) DateTime(t time.Time) any { return t }

func TestWebhookDeliveries(t *testing.T) {
	webhooktest.Run(t, func(t *testing.T) webhooktest.Fixture { return webhookFixture{newRecurringFixture(t)} })
}
