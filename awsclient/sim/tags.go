package sim

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Resource tags: AddTagsToResource, RemoveTagsFromResource and
// ListTagsForResource on the ARN of a proxy, a blue/green deployment, a DB
// instance or a DB cluster. Requests carry Tags.Tag.N.Key/Value and
// TagKeys.member.N; the reply's TagList items are <Tag> (rds-facts §6).
// Limits as the API documents them (types.Tag in the SDK): a key of 1–128
// characters, a value of at most 256, neither prefixed "aws:" or "rds:",
// only letters, digits, white space and _ . : / = + - @.

const (
	maxTagKey       = 128
	maxTagValue     = 256
	maxTagsPerThing = 50
)

func tagCharset() *regexp.Regexp { return regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`) }

// taggable is one resource's tag set, wherever the state keeps it.
type taggable struct {
	tags *map[string]string
}

// tagTarget resolves ResourceName (an ARN of this Region and account) to
// its tag set.
func (s *Simulator) tagTarget(form url.Values) (taggable, *apiError) {
	arn := form.Get("ResourceName")
	if arn == "" {
		return taggable{}, missing("ResourceName")
	}
	st := s.st
	a, perr := awsarn.Parse(arn)
	typ, name, _ := strings.Cut(a.Resource, ":")
	if perr != nil || a.Service != "rds" || name == "" {
		return taggable{}, fail(codeInvalidParameterValue, "The specified resource name does not match an RDS resource in this region: %s", arn)
	}
	if a.Region != st.Region || a.AccountID != st.Account {
		return taggable{}, fail(codeInvalidParameterValue, "The specified resource name does not match an RDS resource in this region: %s", arn)
	}
	switch typ {
	case "db-proxy":
		for _, p := range st.Proxies {
			if p.ARNSuffix == name {
				return taggable{tags: s.tagSet(p)}, nil
			}
		}
		return taggable{}, fail(codeProxyNotFound, "DBProxy %s not found.", name)
	case "deployment":
		if d := st.findDeployment(name); d != nil {
			if d.Tags == nil {
				d.Tags = map[string]string{}
			}
			return taggable{tags: &d.Tags}, nil
		}
		return taggable{}, fail(codeDeploymentNotFound, "BlueGreenDeployment %s not found.", name)
	case "db":
		if in := st.findInstance(name); in != nil {
			return taggable{tags: s.tagSet(in)}, nil
		}
		return taggable{}, fail(codeInstanceNotFound, "DBInstance %s not found.", name)
	case "cluster":
		if c := st.findCluster(name); c != nil {
			return taggable{tags: s.tagSet(c)}, nil
		}
		return taggable{}, fail(codeClusterNotFound, "DBCluster %s not found.", name)
	}
	return taggable{}, fail(codeInvalidParameterValue, "The specified resource name does not match an RDS resource in this region: %s", arn)
}

// tagSet is the tag map of a proxy, instance or cluster, kept beside the
// state so the resource types stay as they are; it follows the resource
// (not its name) through renames.
func (s *Simulator) tagSet(resource any) *map[string]string {
	if s.tags == nil {
		s.tags = map[any]*map[string]string{}
	}
	m, ok := s.tags[resource]
	if !ok {
		m = &map[string]string{}
		s.tags[resource] = m
	}
	return m
}

// xmlTags is a resource's TagList, sorted by key, without creating a tag
// set for a resource that never had one.
func (s *Simulator) xmlTags(resource any) []xmlTag {
	m, ok := s.tags[resource]
	if !ok {
		return nil
	}
	var out []xmlTag
	for _, k := range sortedKeys(*m) {
		out = append(out, xmlTag{Key: k, Value: (*m)[k]})
	}
	return out
}

// tagsParam reads Tags.Tag.N.Key/Value in order, up to the first N without
// a Key.
func tagsParam(form url.Values) [][2]string {
	var out [][2]string
	for i := 1; ; i++ {
		p := "Tags.Tag." + strconv.Itoa(i)
		k, ok := form[p+".Key"]
		if !ok {
			return out
		}
		out = append(out, [2]string{k[0], form.Get(p + ".Value")})
	}
}

// checkTag applies the documented limits to one key and value.
func checkTag(k, v string) *apiError {
	switch {
	case k == "" || utf8.RuneCountInString(k) > maxTagKey:
		return fail(codeInvalidParameterValue, "Tag key must be 1 to %d characters: %q", maxTagKey, k)
	case utf8.RuneCountInString(v) > maxTagValue:
		return fail(codeInvalidParameterValue, "Tag value for key %q must be at most %d characters (got %d).", k, maxTagValue, utf8.RuneCountInString(v))
	case reservedTagPrefix(k):
		return fail(codeInvalidParameterValue, "Tag keys beginning with aws: or rds: are reserved: %q", k)
	case reservedTagPrefix(v):
		return fail(codeInvalidParameterValue, "Tag values beginning with aws: or rds: are reserved: %q", v)
	case !tagCharset().MatchString(k) || !tagCharset().MatchString(v):
		return fail(codeInvalidParameterValue, "Tag %q has characters outside letters, digits, white space and _ . : / = + - @.", k)
	}
	return nil
}

func reservedTagPrefix(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "aws:") || strings.HasPrefix(l, "rds:")
}

func (s *Simulator) addTagsToResource(c *call) (any, *apiError) {
	t, err := s.tagTarget(c.form)
	if err != nil {
		return nil, err
	}
	tags := tagsParam(c.form)
	if len(tags) == 0 {
		return nil, missing("Tags")
	}
	for _, kv := range tags {
		if err := checkTag(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	next := map[string]string{}
	for k, v := range *t.tags {
		next[k] = v
	}
	for _, kv := range tags {
		next[kv[0]] = kv[1]
	}
	if len(next) > maxTagsPerThing {
		return nil, fail(codeInvalidParameterValue, "A resource can have at most %d tags; this request would give it %d.", maxTagsPerThing, len(next))
	}
	*t.tags = next
	return nil, nil
}

func (s *Simulator) removeTagsFromResource(c *call) (any, *apiError) {
	t, err := s.tagTarget(c.form)
	if err != nil {
		return nil, err
	}
	keys := list(c.form, "TagKeys.member")
	if len(keys) == 0 {
		return nil, missing("TagKeys")
	}
	for _, k := range keys {
		delete(*t.tags, k)
	}
	return nil, nil
}

type tagListResult struct {
	TagList []xmlTag `xml:"TagList>Tag"`
}

func (s *Simulator) listTagsForResource(c *call) (any, *apiError) {
	t, err := s.tagTarget(c.form)
	if err != nil {
		return nil, err
	}
	var r tagListResult
	for _, k := range sortedKeys(*t.tags) {
		r.TagList = append(r.TagList, xmlTag{Key: k, Value: (*t.tags)[k]})
	}
	return r, nil
}
