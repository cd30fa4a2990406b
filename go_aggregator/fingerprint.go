package aggregator

// A Fingerprint summarizes the set of one user's rollup rows: the XOR of a
// 64-bit hash of every row, and the number of rows. XOR makes it independent
// of row order and lets an incremental run fold a change in without reading
// the user's other rows: remove a row by XORing its hash out, add one by
// XORing it in. The row hash is a chain of bijective mixes, so changing the
// month, type, total or count of a single row always changes the digest (its
// account or category almost always: FNV-1a is not injective); two or more
// changes cancel out only by a 2^-64 accident.
//
// The digest is not a defence against someone crafting rows (the mixes are
// invertible): it only tells a full rebuild which users' stored rows already
// equal the recomputed ones, so it can skip reading them back.
type Fingerprint struct {
	Digest uint64
	Count  int64
}

// Add folds a row hash in.
func (f *Fingerprint) Add(h uint64) { f.Digest ^= h; f.Count++ }

// Remove folds a row hash out.
func (f *Fingerprint) Remove(h uint64) { f.Digest ^= h; f.Count-- }

// CategoryHash is the hash of a rollup's category; hash each distinct
// category once and reuse it (KeyHash combines it with the account's).
func CategoryHash[T string | []byte](category T) uint64 { return fnvMix(category) }

// AccountHash is the hash of a rollup's account id in its text form (what
// Rollup.AccountID holds); hash each distinct account once and reuse it.
func AccountHash[T string | []byte](account T) uint64 { return fnvMix(account) }

// KeyHash is the first link of RollupHash: the account's hash, mixed, then
// the category's. Changing either one alone changes it (each step is a
// bijection given the other).
func KeyHash(accountHash, categoryHash uint64) uint64 {
	return mix64(mix64(accountHash) ^ categoryHash)
}

// fnvMix is FNV-1a of s, its length folded in and mixed.
func fnvMix[T string | []byte](s T) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211 // FNV-1a
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return mix64(h ^ uint64(len(s)))
}

// RollupHash is the hash of one rollup row of a user (the user is implied:
// fingerprints are stored per user); keyHash is KeyHash of its account and
// category.
func RollupHash(keyHash uint64, m Month, typ TxnType, totalMinor, count int64) uint64 {
	h := mix64(keyHash ^ (uint64(uint32(m))<<8 | uint64(typ)))
	h = mix64(h ^ uint64(totalMinor))
	return mix64(h ^ uint64(count))
}

// Hash is RollupHash of a rollup in its database form.
func (r *Rollup) Hash() (uint64, error) {
	m, err := ParseMonth(r.Month)
	if err != nil {
		return 0, err
	}
	typ, err := ParseRollupType(r.Type)
	if err != nil {
		return 0, err
	}
	return RollupHash(KeyHash(AccountHash(r.AccountID), CategoryHash(r.Category)), m, typ, r.TotalMinor, r.TransactionCount), nil
}

// FingerprintsOf folds the hashes of rollups into one Fingerprint per user:
// the definition the stored and recomputed fingerprints must both meet.
func FingerprintsOf(rollups []Rollup) (map[string]Fingerprint, error) {
	out := make(map[string]Fingerprint)
	for i := range rollups {
		h, err := rollups[i].Hash()
		if err != nil {
			return nil, err
		}
		f := out[rollups[i].UserID]
		f.Add(h)
		out[rollups[i].UserID] = f
	}
	return out, nil
}

// mix64 is MurmurHash3's 64-bit finalizer: a bijection with full avalanche.
func mix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
