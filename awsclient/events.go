package awsclient

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// RDSEvent is one DescribeEvents entry (rds-facts §4.6). The API carries
// no event id: the message and the category say what happened.
type RDSEvent struct {
	Time       time.Time `json:"time"`
	SourceID   string    `json:"source_id"`
	SourceType string    `json:"source_type"`
	Message    string    `json:"message"`
	Categories []string  `json:"categories,omitempty"`
}

// Failure reports whether the event is in the "failure" category.
func (e RDSEvent) Failure() bool {
	for _, c := range e.Categories {
		if c == "failure" {
			return true
		}
	}
	return false
}

// EventReader reads RDS events. *Client implements it; the engine asks
// for it with a type assertion, so that the narrow API interfaces stay as
// they are.
type EventReader interface {
	DescribeEvents(ctx context.Context, sourceType, sourceID string, since time.Time) ([]RDSEvent, error)
}

// DescribeEvents returns the events of one source (or, with sourceID
// empty, of every source of the type) since a time (zero: the last hour),
// oldest first, following the pages to the end.
func (c *Client) DescribeEvents(ctx context.Context, sourceType, sourceID string, since time.Time) ([]RDSEvent, error) {
	in := &rds.DescribeEventsInput{SourceType: types.SourceType(sourceType)}
	if sourceID != "" {
		// Without an identifier AWS answers every source of the type.
		in.SourceIdentifier = aws.String(sourceID)
	}
	if !since.IsZero() {
		in.StartTime = aws.Time(since)
	}
	var out []RDSEvent
	p := rds.NewDescribeEventsPaginator(c.rds, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Events {
			out = append(out, RDSEvent{Time: aws.ToTime(e.Date), SourceID: eventText(aws.ToString(e.SourceIdentifier)), SourceType: string(e.SourceType),
				Message: eventText(aws.ToString(e.Message)), Categories: e.EventCategories})
		}
	}
	return out, nil
}

// eventText drops control characters (escape sequences included) from an
// AWS string before it reaches a terminal or the journal. (The shared
// sanitizer, awsclient.Sanitize, replaces this once it lands.)
func eventText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
