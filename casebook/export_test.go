package casebook

// DerivedRef is the reference a contact made before references were drawn got from its ID,
// for tests that write such records.
var DerivedRef = derivedRef

// DerivedReferralRef is DerivedRef for referrals.
var DerivedReferralRef = derivedReferralRef
