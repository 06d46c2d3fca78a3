package sim

import "sort"

// getCallerIdentity answers STS GetCallerIdentity on the same endpoint
// (dispatch is on Action alone).
func (s *Simulator) getCallerIdentity(*call) (any, *apiError) {
	return callerIdentityResult{
		Arn:     "arn:aws:iam::" + s.st.Account + ":user/rdsbg-operator",
		UserID:  "AIDASIMULATOR0OPERATOR",
		Account: s.st.Account,
	}, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
