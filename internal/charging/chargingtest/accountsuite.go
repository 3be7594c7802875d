package chargingtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/joule-ev/joule/internal/charging"
)

// testAccounts checks the AccountStore (users, sign-in tokens, API keys,
// the audit log) and the ownership of id tags and sessions. The subtests
// share one store and use their own ids, emails and hashes.
func testAccounts(t *testing.T, s charging.Store) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s charging.Store)
	}{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserUniqueness", testUserUniqueness},
		{"CreateUserWithTag", testCreateUserWithTag},
		{"UpdateUser", testUpdateUser},
		{"SignInIsOneWrite", testSignInIsOneWrite},
		{"DeleteUser", testDeleteUser},
		{"ListUsers", testListUsers},
		{"Tokens", testTokens},
		{"DeleteExpiredTokens", testDeleteExpiredTokens},
		{"APIKeys", testAPIKeys},
		{"ListAPIKeys", testListAPIKeys},
		{"Audit", testAudit},
		{"AuditFiltersAndPages", testAuditFiltersAndPages},
		{"IDTagOwner", testIDTagOwner},
		{"SessionOwner", testSessionOwner},
		{"ListSessionsByOwner", testListSessionsByOwner},
	} {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, s) })
	}
}

// user has every field set; times are in t0's zone, not UTC.
func user(id string, role charging.Role) charging.User {
	return charging.User{
		ID:           id,
		Email:        id + "@example.com",
		Name:         "Name of " + id,
		Role:         role,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA-" + id,
		Subject:      "https://issuer.example " + id,
		DriverGroup:  "members",
		CreatedAt:    at(time.Second),
		UpdatedAt:    at(2 * time.Second),
		LastLoginAt:  ptr(at(3 * time.Second)),
	}
}

func normUser(u charging.User) charging.User {
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	u.LastLoginAt = utcPtr(u.LastLoginAt)
	return u
}

func normToken(tok charging.AuthToken) charging.AuthToken {
	tok.CreatedAt, tok.ExpiresAt = utc(tok.CreatedAt), utc(tok.ExpiresAt)
	return tok
}

func normAPIKey(k charging.APIKey) charging.APIKey {
	k.CreatedAt = utc(k.CreatedAt)
	k.ExpiresAt, k.LastUsedAt = utcPtr(k.ExpiresAt), utcPtr(k.LastUsedAt)
	return k
}

func normAudit(e charging.AuditEntry) charging.AuditEntry {
	e.At = utc(e.At)
	return e
}

// wantUser checks that the stored user with the id is want.
func wantUser(t *testing.T, s charging.Store, want charging.User, what string) {
	t.Helper()
	got, err := s.GetUser(context.Background(), want.ID)
	must(t, err, what+": GetUser "+want.ID)
	checkEqual(t, what, normUser(got), normUser(want))
}

func wantNoUser(t *testing.T, s charging.Store, id, what string) {
	t.Helper()
	_, err := s.GetUser(context.Background(), id)
	wantCode(t, err, charging.ENOTFOUND, what+": GetUser "+id)
}

func wantTag(t *testing.T, s charging.Store, want charging.IDTag, what string) {
	t.Helper()
	got, err := s.GetIDTag(context.Background(), want.IDTag)
	must(t, err, what+": GetIDTag "+want.IDTag)
	checkEqual(t, what, normIDTag(got), normIDTag(want))
}

func token(hash, userID string, expires time.Duration) charging.AuthToken {
	return charging.AuthToken{Hash: hash, UserID: userID, CreatedAt: t0, ExpiresAt: at(expires)}
}

func idTag(id, owner string) charging.IDTag {
	return charging.IDTag{IDTag: id, Status: charging.AuthAccepted, ExpiryDate: ptr(at(48 * time.Hour)),
		ParentIDTag: "PARENT", OwnerID: owner, CreatedAt: t0, UpdatedAt: at(time.Minute)}
}

// allPages lists every page of a query with the page size and returns the
// items in order; it fails on a page larger than the limit or a loop.
func allPages[T any](t *testing.T, what string, limit int, list func(cursor string) (charging.Page[T], error)) []T {
	t.Helper()
	var out []T
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("%s: more than 1000 pages", what)
		}
		p, err := list(cursor)
		must(t, err, what)
		if limit > 0 && len(p.Items) > limit {
			t.Fatalf("%s: page of %d items, limit %d", what, len(p.Items), limit)
		}
		out = append(out, p.Items...)
		if p.NextCursor == "" {
			return out
		}
		if len(p.Items) == 0 {
			t.Fatalf("%s: empty page with a next cursor", what)
		}
		cursor = p.NextCursor
	}
}

func testUserRoundTrip(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("rt-1", charging.RoleDriver)
	u.Disabled = true
	u.AppIDTag = "APPRT1"
	must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser rt-1")
	got, err := s.GetUser(ctx, "rt-1")
	must(t, err, "GetUser rt-1")
	checkEqual(t, "GetUser rt-1", normUser(got), normUser(u))
	if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC ||
		got.LastLoginAt == nil || got.LastLoginAt.Location() != time.UTC {
		t.Errorf("rt-1 times %v, %v, %v: want UTC", got.CreatedAt, got.UpdatedAt, got.LastLoginAt)
	}

	// Emails match in any case; subjects exactly.
	got, err = s.GetUserByEmail(ctx, "RT-1@Example.COM")
	must(t, err, "GetUserByEmail in another case")
	checkEqual(t, "GetUserByEmail in another case", normUser(got), normUser(u))
	got, err = s.GetUserBySubject(ctx, u.Subject)
	must(t, err, "GetUserBySubject")
	checkEqual(t, "GetUserBySubject", normUser(got), normUser(u))

	// Empty and zero fields round-trip too.
	bare := charging.User{ID: "rt-2", Email: "rt-2@example.com", Role: charging.RoleViewer, CreatedAt: t0, UpdatedAt: t0}
	must(t, s.CreateUser(ctx, bare, nil, nil), "CreateUser rt-2")
	wantUser(t, s, bare, "GetUser rt-2 (bare)")

	for _, role := range charging.Roles {
		u := user("rt-role-"+string(role), role)
		must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser with role "+string(role))
		wantUser(t, s, u, "GetUser with role "+string(role))
	}

	wantNoUser(t, s, "nope", "missing user")
	_, err = s.GetUserByEmail(ctx, "nope@example.com")
	wantCode(t, err, charging.ENOTFOUND, "GetUserByEmail of a missing email")
	_, err = s.GetUserBySubject(ctx, "https://issuer.example nope")
	wantCode(t, err, charging.ENOTFOUND, "GetUserBySubject of a missing subject")
	_, err = s.GetUserBySubject(ctx, "")
	wantCode(t, err, charging.ENOTFOUND, "GetUserBySubject of the empty subject (rt-2 has it)")
	_, err = s.GetUserBySubject(ctx, "HTTPS://ISSUER.EXAMPLE rt-1")
	wantCode(t, err, charging.ENOTFOUND, "GetUserBySubject in another case")

	bad := user("rt-bad", "root")
	wantCode(t, s.CreateUser(ctx, bad, nil, nil), charging.EINVALID, "CreateUser with an unknown role")
	wantNoUser(t, s, "rt-bad", "after an invalid CreateUser")
}

func testUserUniqueness(t *testing.T, s charging.Store) {
	ctx := context.Background()
	a := user("uq-a", charging.RoleDriver)
	a.AppIDTag = "APPUQA"
	must(t, s.CreateUser(ctx, a, nil, nil), "CreateUser uq-a")

	for _, tt := range []struct {
		what string
		u    charging.User
	}{
		{"the same id", func() charging.User {
			u := user("uq-a", charging.RoleViewer)
			u.Email, u.Subject = "uq-other@example.com", ""
			return u
		}()},
		{"the same email in another case", func() charging.User {
			u := user("uq-b", charging.RoleViewer)
			u.Email = "UQ-A@example.COM"
			return u
		}()},
		{"the same subject", func() charging.User {
			u := user("uq-b", charging.RoleViewer)
			u.Subject = a.Subject
			return u
		}()},
		{"the same app id tag in another case", func() charging.User {
			u := user("uq-b", charging.RoleDriver)
			u.AppIDTag = "appuqa"
			return u
		}()},
	} {
		wantCode(t, s.CreateUser(ctx, tt.u, nil, nil), charging.ECONFLICT, "CreateUser with "+tt.what)
	}
	wantNoUser(t, s, "uq-b", "after the conflicts")
	wantUser(t, s, a, "uq-a after the conflicts")

	// Empty subjects and app id tags are not values: many users have them.
	for _, id := range []string{"uq-c", "uq-d"} {
		u := user(id, charging.RoleOperator)
		u.Subject, u.AppIDTag = "", ""
		must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser "+id+" without subject nor app id tag")
	}

	// UpdateUser keeps the same rules and changes nothing on a conflict.
	c, err := s.GetUser(ctx, "uq-c")
	must(t, err, "GetUser uq-c")
	for _, tt := range []struct {
		what   string
		change func(u *charging.User)
	}{
		{"email", func(u *charging.User) { u.Email = "Uq-A@Example.com" }},
		{"subject", func(u *charging.User) { u.Subject = a.Subject }},
		{"app id tag", func(u *charging.User) { u.AppIDTag = "APPuqa" }},
	} {
		u := c
		tt.change(&u)
		u.Name = "changed"
		wantCode(t, s.UpdateUser(ctx, u, true, nil), charging.ECONFLICT, "UpdateUser uq-c to a used "+tt.what)
		wantUser(t, s, c, "uq-c after a refused update of its "+tt.what)
	}
}

func testCreateUserWithTag(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("ct-1", charging.RoleDriver)
	u.AppIDTag = "APPCT1"
	tag := idTag("APPCT1", "someone-else") // the owner is the new user, whatever the tag says
	must(t, s.CreateUser(ctx, u, &tag, nil), "CreateUser with a tag")
	wantUser(t, s, u, "ct-1")
	want := tag
	want.OwnerID = "ct-1"
	wantTag(t, s, want, "the app tag of ct-1")

	// A tag that exists (in another case) is a conflict, and no user is
	// left behind; the existing tag is unchanged.
	must(t, s.SaveIDTag(ctx, idTag("CARD-CT", "")), "SaveIDTag CARD-CT")
	u2 := user("ct-2", charging.RoleDriver)
	u2.AppIDTag = "card-ct"
	dup := idTag("card-ct", "")
	dup.Status = charging.AuthBlocked
	wantCode(t, s.CreateUser(ctx, u2, &dup, nil), charging.ECONFLICT, "CreateUser with an existing tag")
	wantNoUser(t, s, "ct-2", "after a conflicting tag")
	_, err := s.GetUserByEmail(ctx, u2.Email)
	wantCode(t, err, charging.ENOTFOUND, "GetUserByEmail after a conflicting tag")
	wantTag(t, s, idTag("CARD-CT", ""), "CARD-CT after the conflict")

	// A conflicting user leaves no tag behind.
	u3 := user("ct-3", charging.RoleDriver)
	u3.Email = "CT-1@example.com"
	tag3 := idTag("APPCT3", "")
	wantCode(t, s.CreateUser(ctx, u3, &tag3, nil), charging.ECONFLICT, "CreateUser with a used email and a new tag")
	_, err = s.GetIDTag(ctx, "APPCT3")
	wantCode(t, err, charging.ENOTFOUND, "the tag of a refused user")
	wantNoUser(t, s, "ct-3", "a refused user")

	// The same user retried with a free tag is created.
	u2.AppIDTag = "APPCT2"
	tag2 := idTag("APPCT2", "")
	must(t, s.CreateUser(ctx, u2, &tag2, nil), "CreateUser ct-2 with a free tag")
	wantUser(t, s, u2, "ct-2")
	tag2.OwnerID = "ct-2"
	wantTag(t, s, tag2, "the app tag of ct-2")
}

func testUpdateUser(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("up-1", charging.RoleOperator)
	must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser up-1")
	other := user("up-2", charging.RoleOperator)
	must(t, s.CreateUser(ctx, other, nil, nil), "CreateUser up-2")
	for _, h := range []string{"up-1-a", "up-1-b"} {
		must(t, s.CreateToken(ctx, token(h, "up-1", time.Hour)), "CreateToken "+h)
	}
	must(t, s.CreateToken(ctx, token("up-2-a", "up-2", time.Hour)), "CreateToken up-2-a")

	// Every field is overwritten but CreatedAt; tokens stay.
	upd := charging.User{ID: "up-1", Email: "up-1-new@example.com", Name: "New", Role: charging.RoleViewer,
		Disabled: true, PasswordHash: "", Subject: "https://other.example up-1", AppIDTag: "APPUP1",
		CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour), LastLoginAt: nil}
	must(t, s.UpdateUser(ctx, upd, false, nil), "UpdateUser without revoking")
	want := upd
	want.CreatedAt = u.CreatedAt
	wantUser(t, s, want, "up-1 after UpdateUser")
	for _, h := range []string{"up-1-a", "up-1-b"} {
		_, got, err := s.GetToken(ctx, h)
		must(t, err, "GetToken "+h+" after UpdateUser without revoking")
		checkEqual(t, "the user of token "+h, normUser(got), normUser(want))
	}
	_, err := s.GetUserByEmail(ctx, u.Email)
	wantCode(t, err, charging.ENOTFOUND, "GetUserByEmail of the old email")

	// revokeTokens deletes this user's tokens, and only them.
	upd.Disabled, upd.LastLoginAt, upd.UpdatedAt = false, ptr(at(3*time.Hour)), at(3*time.Hour)
	must(t, s.UpdateUser(ctx, upd, true, nil), "UpdateUser revoking tokens")
	want = upd
	want.CreatedAt = u.CreatedAt
	wantUser(t, s, want, "up-1 after UpdateUser revoking")
	for _, h := range []string{"up-1-a", "up-1-b"} {
		_, _, err := s.GetToken(ctx, h)
		wantCode(t, err, charging.ENOTFOUND, "GetToken "+h+" after revoking")
	}
	tok, got, err := s.GetToken(ctx, "up-2-a")
	must(t, err, "GetToken of another user after revoking")
	if tok.UserID != "up-2" || got.ID != "up-2" {
		t.Errorf("token up-2-a = %+v of %s, want up-2's", tok, got.ID)
	}

	// A missing user is ENOTFOUND, and is not created.
	wantCode(t, s.UpdateUser(ctx, user("up-9", charging.RoleViewer), true, nil), charging.ENOTFOUND, "UpdateUser of a missing user")
	wantNoUser(t, s, "up-9", "after UpdateUser of a missing user")
	bad := want
	bad.Role = "root"
	wantCode(t, s.UpdateUser(ctx, bad, false, nil), charging.EINVALID, "UpdateUser with an unknown role")
	wantUser(t, s, want, "up-1 after a refused update")
}

func testDeleteUser(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "DU-CP")
	u := user("du-1", charging.RoleDriver)
	u.AppIDTag = "APPDU1"
	app := idTag("APPDU1", "")
	must(t, s.CreateUser(ctx, u, &app, nil), "CreateUser du-1")
	card := idTag("CARD-DU1", "du-1")
	must(t, s.SaveIDTag(ctx, card), "SaveIDTag CARD-DU1")
	keep := user("du-2", charging.RoleDriver)
	must(t, s.CreateUser(ctx, keep, nil, nil), "CreateUser du-2")
	theirs := idTag("CARD-DU2", "du-2")
	must(t, s.SaveIDTag(ctx, theirs), "SaveIDTag CARD-DU2")
	operators := idTag("CARD-OP", "")
	must(t, s.SaveIDTag(ctx, operators), "SaveIDTag CARD-OP")
	must(t, s.CreateToken(ctx, token("du-1-a", "du-1", time.Hour)), "CreateToken du-1-a")
	must(t, s.CreateToken(ctx, token("du-2-a", "du-2", time.Hour)), "CreateToken du-2-a")
	sess := session("DU-S1", "DU-CP", 1, charging.SessionFinished)
	sess.IDTag = "CARD-DU1"
	must(t, s.CreateSession(ctx, sess), "CreateSession DU-S1")

	must(t, s.DeleteUser(ctx, "du-1"), "DeleteUser du-1")
	wantNoUser(t, s, "du-1", "after DeleteUser")
	_, err := s.GetUserByEmail(ctx, u.Email)
	wantCode(t, err, charging.ENOTFOUND, "GetUserByEmail after DeleteUser")
	_, _, err = s.GetToken(ctx, "du-1-a")
	wantCode(t, err, charging.ENOTFOUND, "GetToken of a deleted user")
	for _, id := range []string{"APPDU1", "CARD-DU1"} {
		got, err := s.GetIDTag(ctx, id)
		must(t, err, "GetIDTag "+id+" after DeleteUser")
		if got.OwnerID != "" || got.Status != charging.AuthBlocked {
			t.Errorf("tag %s of a deleted user: owner %q, status %s; want no owner, Blocked", id, got.OwnerID, got.Status)
		}
		if got.ParentIDTag != "PARENT" || got.ExpiryDate == nil || !got.ExpiryDate.Equal(at(48*time.Hour)) {
			t.Errorf("tag %s of a deleted user = %s; want its other fields kept", id, show(got))
		}
	}
	got, err := s.GetSession(ctx, "DU-S1")
	must(t, err, "GetSession DU-S1 after DeleteUser")
	if got.OwnerID != "du-1" {
		t.Errorf("session of a deleted user: owner %q, want du-1 (history keeps it)", got.OwnerID)
	}

	// Nothing else changed.
	wantUser(t, s, keep, "another user after DeleteUser")
	wantTag(t, s, theirs, "another user's tag after DeleteUser")
	wantTag(t, s, operators, "an unowned tag after DeleteUser")
	_, owner, err := s.GetToken(ctx, "du-2-a")
	must(t, err, "another user's token after DeleteUser")
	checkEqual(t, "another user's token's user", normUser(owner), normUser(keep))

	wantCode(t, s.DeleteUser(ctx, "du-1"), charging.ENOTFOUND, "DeleteUser again")
	wantCode(t, s.DeleteUser(ctx, ""), charging.ENOTFOUND, "DeleteUser of the empty id")
	wantTag(t, s, operators, "an unowned tag after DeleteUser of the empty id")

	// The email and app tag are free again.
	again := user("du-3", charging.RoleDriver)
	again.Email, again.AppIDTag = u.Email, u.AppIDTag
	must(t, s.CreateUser(ctx, again, nil, nil), "CreateUser with a deleted user's email and app tag")
}

func testListUsers(t *testing.T, s charging.Store) {
	ctx := context.Background()
	// Emails sort apart from ids; created out of order.
	fixture := []struct {
		id, email string
		role      charging.Role
	}{
		{"lu-5", "lu-a@example.com", charging.RoleDriver},
		{"lu-1", "lu-e@example.com", charging.RoleAdmin},
		{"lu-4", "lu-b@example.com", charging.RoleViewer},
		{"lu-2", "lu-d@example.com", charging.RoleDriver},
		{"lu-3", "lu-c@example.com", charging.RoleDriver},
		{"lu-6", "lu-f@example.com", charging.RoleOperator},
	}
	before, err := s.CountUsers(ctx)
	must(t, err, "CountUsers")
	for _, f := range fixture {
		u := user(f.id, f.role)
		u.Email = f.email
		must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser "+f.id)
	}
	n, err := s.CountUsers(ctx)
	must(t, err, "CountUsers")
	if n != before+len(fixture) {
		t.Errorf("CountUsers = %d, want %d + %d", n, before, len(fixture))
	}

	ours := func(us []charging.User) []string {
		ids := []string{}
		for _, u := range us {
			if len(u.Email) > 3 && u.Email[:3] == "lu-" {
				ids = append(ids, u.ID)
			}
		}
		return ids
	}
	for _, tt := range []struct {
		role charging.Role
		want []string
	}{
		{"", []string{"lu-5", "lu-4", "lu-3", "lu-2", "lu-1", "lu-6"}},
		{charging.RoleDriver, []string{"lu-5", "lu-3", "lu-2"}},
		{charging.RoleAdmin, []string{"lu-1"}},
		{charging.RoleOperator, []string{"lu-6"}},
	} {
		for _, limit := range []int{0, 1, 2, 3, 100} {
			what := fmt.Sprintf("ListUsers role %q, pages of %d", tt.role, limit)
			all := allPages(t, what, limit, func(c string) (charging.Page[charging.User], error) {
				return s.ListUsers(ctx, charging.UserQuery{Role: tt.role, Cursor: c, Limit: limit})
			})
			checkEqual(t, what, ours(all), tt.want)
			for i, u := range all {
				if tt.role != "" && u.Role != tt.role {
					t.Errorf("%s: %s has role %s", what, u.ID, u.Role)
				}
				if i > 0 && all[i-1].Email >= u.Email {
					t.Errorf("%s: %s after %s, want emails ascending without repeats", what, u.Email, all[i-1].Email)
				}
			}
			if tt.role == "" && len(all) != n {
				t.Errorf("%s: %d users, CountUsers %d", what, len(all), n)
			}
		}
	}
	// Items are whole users.
	p, err := s.ListUsers(ctx, charging.UserQuery{Role: charging.RoleAdmin})
	must(t, err, "ListUsers admins")
	i := slices.IndexFunc(p.Items, func(u charging.User) bool { return u.ID == "lu-1" })
	if i < 0 {
		t.Fatalf("ListUsers admins: lu-1 missing")
	}
	want := user("lu-1", charging.RoleAdmin)
	want.Email = "lu-e@example.com"
	checkEqual(t, "lu-1 in ListUsers", normUser(p.Items[i]), normUser(want))

	_, err = s.ListUsers(ctx, charging.UserQuery{Role: "root"})
	wantCode(t, err, charging.EINVALID, "ListUsers with an unknown role")
	_, err = s.ListUsers(ctx, charging.UserQuery{Cursor: "!!not a cursor!!"})
	wantCode(t, err, charging.EINVALID, "ListUsers with a bad cursor")
	_, err = s.ListUsers(ctx, charging.UserQuery{Limit: -1})
	wantCode(t, err, charging.EINVALID, "ListUsers with a negative limit")
}

func testTokens(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("tk-1", charging.RoleAdmin)
	must(t, s.CreateUser(ctx, u, nil, nil), "CreateUser tk-1")
	tok := token("0123abcd", "tk-1", 24*time.Hour)
	tok.CreatedAt = at(time.Minute)
	must(t, s.CreateToken(ctx, tok), "CreateToken")

	gotTok, gotUser, err := s.GetToken(ctx, "0123abcd")
	must(t, err, "GetToken")
	checkEqual(t, "GetToken token", normToken(gotTok), normToken(tok))
	checkEqual(t, "GetToken user", normUser(gotUser), normUser(u))
	if gotTok.ExpiresAt.Location() != time.UTC || gotTok.CreatedAt.Location() != time.UTC {
		t.Errorf("token times %v, %v: want UTC", gotTok.CreatedAt, gotTok.ExpiresAt)
	}

	// An expired token is still returned: the caller checks.
	old := token("expired-tk", "tk-1", -time.Hour)
	must(t, s.CreateToken(ctx, old), "CreateToken expired")
	gotTok, _, err = s.GetToken(ctx, "expired-tk")
	must(t, err, "GetToken of an expired token")
	checkEqual(t, "GetToken of an expired token", normToken(gotTok), normToken(old))

	// The user is the current one.
	u.Name, u.Disabled, u.UpdatedAt = "Renamed", true, at(time.Hour)
	must(t, s.UpdateUser(ctx, u, false, nil), "UpdateUser tk-1")
	_, gotUser, err = s.GetToken(ctx, "0123abcd")
	must(t, err, "GetToken after UpdateUser")
	checkEqual(t, "GetToken user after UpdateUser", normUser(gotUser), normUser(u))

	wantCode(t, s.CreateToken(ctx, token("0123abcd", "tk-1", time.Hour)), charging.ECONFLICT, "CreateToken with a used hash")
	wantCode(t, s.CreateToken(ctx, token("no-user", "tk-9", time.Hour)), charging.ENOTFOUND, "CreateToken of a missing user")
	_, _, err = s.GetToken(ctx, "no-user")
	wantCode(t, err, charging.ENOTFOUND, "GetToken of a token refused for a missing user")
	_, _, err = s.GetToken(ctx, "0123ABCD")
	wantCode(t, err, charging.ENOTFOUND, "GetToken in another case (hashes match exactly)")

	must(t, s.DeleteToken(ctx, "0123abcd"), "DeleteToken")
	_, _, err = s.GetToken(ctx, "0123abcd")
	wantCode(t, err, charging.ENOTFOUND, "GetToken after DeleteToken")
	wantCode(t, s.DeleteToken(ctx, "0123abcd"), charging.ENOTFOUND, "DeleteToken again")
	_, _, err = s.GetToken(ctx, "expired-tk")
	must(t, err, "another token after DeleteToken")
}

func testDeleteExpiredTokens(t *testing.T, s charging.Store) {
	ctx := context.Background()
	for _, id := range []string{"ex-1", "ex-2"} {
		must(t, s.CreateUser(ctx, user(id, charging.RoleDriver), nil, nil), "CreateUser "+id)
	}
	// Far after the other subtests' tokens, which go first.
	now := at(1000 * time.Hour)
	_, err := s.DeleteExpiredTokens(ctx, now.Add(-100*time.Hour))
	must(t, err, "DeleteExpiredTokens of the other subtests' tokens")
	tokens := []charging.AuthToken{
		token("ex-long-ago", "ex-1", 1000*time.Hour-48*time.Hour),
		token("ex-just-before", "ex-2", 1000*time.Hour-time.Microsecond),
		token("ex-at-now", "ex-1", 1000*time.Hour), // expires at now, not before: stays
		token("ex-later", "ex-2", 1001*time.Hour),
	}
	for _, tok := range tokens {
		must(t, s.CreateToken(ctx, tok), "CreateToken "+tok.Hash)
	}
	n, err := s.DeleteExpiredTokens(ctx, now)
	must(t, err, "DeleteExpiredTokens")
	if n != 2 {
		t.Errorf("DeleteExpiredTokens = %d, want 2", n)
	}
	for _, tok := range tokens[:2] {
		_, _, err := s.GetToken(ctx, tok.Hash)
		wantCode(t, err, charging.ENOTFOUND, "GetToken "+tok.Hash+" after DeleteExpiredTokens")
	}
	for _, tok := range tokens[2:] {
		got, _, err := s.GetToken(ctx, tok.Hash)
		must(t, err, "GetToken "+tok.Hash+" after DeleteExpiredTokens")
		checkEqual(t, "token "+tok.Hash, normToken(got), normToken(tok))
	}
	n, err = s.DeleteExpiredTokens(ctx, now)
	must(t, err, "DeleteExpiredTokens again")
	if n != 0 {
		t.Errorf("DeleteExpiredTokens again = %d, want 0", n)
	}
	n, err = s.DeleteExpiredTokens(ctx, now.Add(2*time.Hour))
	must(t, err, "DeleteExpiredTokens later")
	if n != 2 {
		t.Errorf("DeleteExpiredTokens two hours later = %d, want 2", n)
	}
}

func apiKey(id string, created time.Duration) charging.APIKey {
	return charging.APIKey{ID: id, Name: "key " + id, Role: charging.RoleOperator, Hash: "hash-" + id,
		Prefix: "jk_" + id, CreatedBy: "admin-1", CreatedAt: at(created)}
}

func testAPIKeys(t *testing.T, s charging.Store) {
	ctx := context.Background()
	k := apiKey("ak-1", time.Minute)
	k.ExpiresAt, k.LastUsedAt = ptr(at(30*24*time.Hour)), ptr(at(2*time.Minute))
	must(t, s.CreateAPIKey(ctx, k), "CreateAPIKey ak-1")
	got, err := s.GetAPIKeyByHash(ctx, "hash-ak-1")
	must(t, err, "GetAPIKeyByHash")
	checkEqual(t, "GetAPIKeyByHash ak-1", normAPIKey(got), normAPIKey(k))
	if got.CreatedAt.Location() != time.UTC || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("API key times %v, %v: want UTC", got.CreatedAt, got.ExpiresAt)
	}

	bare := charging.APIKey{ID: "ak-2", Name: "bare", Role: charging.RoleViewer, Hash: "hash-ak-2", CreatedAt: t0}
	must(t, s.CreateAPIKey(ctx, bare), "CreateAPIKey ak-2")
	got, err = s.GetAPIKeyByHash(ctx, "hash-ak-2")
	must(t, err, "GetAPIKeyByHash ak-2")
	checkEqual(t, "GetAPIKeyByHash ak-2 (bare)", normAPIKey(got), normAPIKey(bare))

	dupHash := apiKey("ak-3", 0)
	dupHash.Hash = "hash-ak-1"
	wantCode(t, s.CreateAPIKey(ctx, dupHash), charging.ECONFLICT, "CreateAPIKey with a used hash")
	wantCode(t, s.CreateAPIKey(ctx, apiKey("ak-1", 0)), charging.ECONFLICT, "CreateAPIKey with a used id")
	badRole := apiKey("ak-4", 0)
	badRole.Role = "root"
	wantCode(t, s.CreateAPIKey(ctx, badRole), charging.EINVALID, "CreateAPIKey with an unknown role")
	_, err = s.GetAPIKeyByHash(ctx, "hash-ak-4")
	wantCode(t, err, charging.ENOTFOUND, "GetAPIKeyByHash of a refused key")
	_, err = s.GetAPIKeyByHash(ctx, "HASH-AK-1")
	wantCode(t, err, charging.ENOTFOUND, "GetAPIKeyByHash in another case (hashes match exactly)")

	// TouchAPIKey sets the last use, nothing else.
	must(t, s.TouchAPIKey(ctx, "ak-2", at(time.Hour)), "TouchAPIKey")
	got, err = s.GetAPIKeyByHash(ctx, "hash-ak-2")
	must(t, err, "GetAPIKeyByHash after TouchAPIKey")
	want := bare
	want.LastUsedAt = ptr(at(time.Hour))
	checkEqual(t, "ak-2 after TouchAPIKey", normAPIKey(got), normAPIKey(want))
	wantCode(t, s.TouchAPIKey(ctx, "ak-9", at(time.Hour)), charging.ENOTFOUND, "TouchAPIKey of a missing key")

	must(t, s.DeleteAPIKey(ctx, "ak-1"), "DeleteAPIKey")
	_, err = s.GetAPIKeyByHash(ctx, "hash-ak-1")
	wantCode(t, err, charging.ENOTFOUND, "GetAPIKeyByHash after DeleteAPIKey")
	wantCode(t, s.DeleteAPIKey(ctx, "ak-1"), charging.ENOTFOUND, "DeleteAPIKey again")
	wantCode(t, s.TouchAPIKey(ctx, "ak-1", at(time.Hour)), charging.ENOTFOUND, "TouchAPIKey of a deleted key")
	_, err = s.GetAPIKeyByHash(ctx, "hash-ak-2")
	must(t, err, "another key after DeleteAPIKey")
}

func testListAPIKeys(t *testing.T, s charging.Store) {
	ctx := context.Background()
	p, err := s.ListAPIKeys(ctx, charging.APIKeyQuery{})
	must(t, err, "ListAPIKeys")
	before := len(p.Items)
	// lk-b and lk-c share a creation time: the higher id comes first.
	created := map[string]time.Duration{"lk-a": 10 * time.Hour, "lk-b": 11 * time.Hour, "lk-c": 11 * time.Hour, "lk-d": 12 * time.Hour, "lk-e": 13 * time.Hour}
	for _, id := range []string{"lk-c", "lk-a", "lk-e", "lk-b", "lk-d"} {
		must(t, s.CreateAPIKey(ctx, apiKey(id, created[id])), "CreateAPIKey "+id)
	}
	want := []string{"lk-e", "lk-d", "lk-c", "lk-b", "lk-a"}
	for _, limit := range []int{0, 1, 2, 4, 5, 6} {
		what := fmt.Sprintf("ListAPIKeys over pages of %d", limit)
		all := allPages(t, what, limit, func(c string) (charging.Page[charging.APIKey], error) {
			return s.ListAPIKeys(ctx, charging.APIKeyQuery{Cursor: c, Limit: limit})
		})
		if len(all) != before+len(want) {
			t.Errorf("%s: %d keys, want %d", what, len(all), before+len(want))
		}
		ids := []string{}
		for _, k := range all[:min(len(all), len(want))] {
			ids = append(ids, k.ID)
		}
		checkEqual(t, what, ids, want)
	}
	p, err = s.ListAPIKeys(ctx, charging.APIKeyQuery{Limit: 1})
	must(t, err, "ListAPIKeys")
	checkEqual(t, "ListAPIKeys item", normAPIKey(p.Items[0]), normAPIKey(apiKey("lk-e", 13*time.Hour)))
	_, err = s.ListAPIKeys(ctx, charging.APIKeyQuery{Cursor: "!!not a cursor!!"})
	wantCode(t, err, charging.EINVALID, "ListAPIKeys with a bad cursor")
}

func auditEntry(i int) charging.AuditEntry {
	return charging.AuditEntry{
		At:         at(time.Duration(i) * time.Minute),
		ActorKind:  charging.ActorUser,
		ActorID:    fmt.Sprintf("actor-%d", i%3),
		ActorName:  fmt.Sprintf("actor-%d@example.com", i%3),
		Role:       charging.RoleOperator,
		Action:     "POST /api/v1/chargers/{id}/reset",
		Target:     fmt.Sprintf("CP-%d", i%2),
		RemoteAddr: "192.0.2.7:51234",
		Status:     202,
		Outcome:    charging.OutcomeSuccess,
		Detail:     fmt.Sprintf("entry %d", i),
	}
}

func testAudit(t *testing.T, s charging.Store) {
	ctx := context.Background()
	full := auditEntry(1)
	id, err := s.AddAudit(ctx, full)
	must(t, err, "AddAudit")
	if id <= 0 {
		t.Errorf("AddAudit id = %d, want > 0", id)
	}
	bare := charging.AuditEntry{At: t0, ActorKind: charging.ActorAnonymous, Action: "auth.login", Outcome: charging.OutcomeDenied}
	id2, err := s.AddAudit(ctx, bare)
	must(t, err, "AddAudit bare")
	if id2 <= id {
		t.Errorf("second AddAudit id = %d, want > %d", id2, id)
	}
	p, err := s.ListAudit(ctx, charging.AuditQuery{})
	must(t, err, "ListAudit")
	full.ID, bare.ID = id, id2
	checkEqual(t, "ListAudit", func() []charging.AuditEntry {
		out := []charging.AuditEntry{}
		for _, e := range p.Items {
			out = append(out, normAudit(e))
		}
		return out
	}(), []charging.AuditEntry{normAudit(bare), normAudit(full)})
	if p.NextCursor != "" {
		t.Errorf("ListAudit NextCursor = %q, want \"\"", p.NextCursor)
	}
	if len(p.Items) > 0 && p.Items[0].At.Location() != time.UTC {
		t.Errorf("audit time %v: want UTC", p.Items[0].At)
	}

	// Every outcome is accepted; anything else is not, and is not stored.
	for _, o := range []string{charging.OutcomeSuccess, charging.OutcomeDenied, charging.OutcomeRejected, charging.OutcomeError} {
		e := bare
		e.Outcome = o
		_, err := s.AddAudit(ctx, e)
		must(t, err, "AddAudit with outcome "+o)
	}
	e := bare
	e.Outcome = "maybe"
	_, err = s.AddAudit(ctx, e)
	wantCode(t, err, charging.EINVALID, "AddAudit with an unknown outcome")
	p, err = s.ListAudit(ctx, charging.AuditQuery{Outcome: "maybe"})
	must(t, err, "ListAudit by an unknown outcome")
	if len(p.Items) != 0 {
		t.Errorf("ListAudit by an unknown outcome = %d entries, want 0", len(p.Items))
	}
	_, err = s.ListAudit(ctx, charging.AuditQuery{Cursor: "!!not a cursor!!"})
	wantCode(t, err, charging.EINVALID, "ListAudit with a bad cursor")
	_, err = s.ListAudit(ctx, charging.AuditQuery{Limit: -1})
	wantCode(t, err, charging.EINVALID, "ListAudit with a negative limit")
}

func testAuditFiltersAndPages(t *testing.T, s charging.Store) {
	ctx := context.Background()
	// 1..30 in order of ids; their At go backwards from 25, so the order
	// is the id's, not the time's.
	const n = 30
	ids := make([]int64, n+1)
	entries := make([]charging.AuditEntry, n+1)
	for i := 1; i <= n; i++ {
		e := auditEntry(i)
		if i == 25 {
			e.At = at(-time.Hour)
		}
		switch i % 5 {
		case 1:
			e.Action, e.Outcome, e.Status = "auth.login", charging.OutcomeDenied, 401
		case 2:
			e.Action = "auth.logout"
		case 3:
			e.Action, e.Outcome, e.Status = "DELETE /api/v1/users/{id}", charging.OutcomeRejected, 409
		case 4:
			e.Action = "auth%_literal" // a prefix is not a pattern
		}
		id, err := s.AddAudit(ctx, e)
		must(t, err, fmt.Sprintf("AddAudit %d", i))
		if i > 1 && id <= ids[i-1] {
			t.Fatalf("AddAudit %d: id %d, not above %d", i, id, ids[i-1])
		}
		e.ID = id
		ids[i], entries[i] = id, e
	}
	// Entries of other subtests may be in the store: only ours count.
	ourID := map[int64]int{}
	for i := 1; i <= n; i++ {
		ourID[ids[i]] = i
	}
	match := func(keep func(e charging.AuditEntry) bool) []int {
		var out []int
		for i := n; i >= 1; i-- {
			if keep(entries[i]) {
				out = append(out, i)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    charging.AuditQuery
		keep func(e charging.AuditEntry) bool
	}{
		{"all", charging.AuditQuery{}, func(charging.AuditEntry) bool { return true }},
		{"actor", charging.AuditQuery{ActorID: "actor-1"}, func(e charging.AuditEntry) bool { return e.ActorID == "actor-1" }},
		{"action prefix", charging.AuditQuery{Action: "auth."}, func(e charging.AuditEntry) bool {
			return e.Action == "auth.login" || e.Action == "auth.logout"
		}},
		{"whole action", charging.AuditQuery{Action: "auth.login"}, func(e charging.AuditEntry) bool { return e.Action == "auth.login" }},
		{"action prefix with % and _", charging.AuditQuery{Action: "auth%_"}, func(e charging.AuditEntry) bool { return e.Action == "auth%_literal" }},
		{"action prefix that is a pattern of nothing", charging.AuditQuery{Action: "auth_"}, func(charging.AuditEntry) bool { return false }},
		{"target", charging.AuditQuery{Target: "CP-0"}, func(e charging.AuditEntry) bool { return e.Target == "CP-0" }},
		{"outcome", charging.AuditQuery{Outcome: charging.OutcomeRejected}, func(e charging.AuditEntry) bool { return e.Outcome == charging.OutcomeRejected }},
		{"since (inclusive)", charging.AuditQuery{Since: at(20 * time.Minute)}, func(e charging.AuditEntry) bool { return !e.At.Before(at(20 * time.Minute)) }},
		{"until (exclusive)", charging.AuditQuery{Until: at(10 * time.Minute)}, func(e charging.AuditEntry) bool { return e.At.Before(at(10 * time.Minute)) }},
		{"since and until", charging.AuditQuery{Since: at(5 * time.Minute), Until: at(15 * time.Minute)}, func(e charging.AuditEntry) bool {
			return !e.At.Before(at(5*time.Minute)) && e.At.Before(at(15*time.Minute))
		}},
		{"everything", charging.AuditQuery{ActorID: "actor-0", Action: "auth", Target: "CP-0", Outcome: charging.OutcomeSuccess,
			Since: at(time.Minute), Until: at(31 * time.Minute)}, func(e charging.AuditEntry) bool {
			return e.ActorID == "actor-0" && e.Target == "CP-0" && e.Outcome == charging.OutcomeSuccess &&
				(e.Action == "auth.logout" || e.Action == "auth%_literal")
		}},
		{"nothing", charging.AuditQuery{ActorID: "actor-9"}, func(charging.AuditEntry) bool { return false }},
	} {
		want := match(tt.keep)
		if tt.name == "everything" && len(want) == 0 {
			t.Fatalf("the fixture has no entry for %q", tt.name)
		}
		for _, limit := range []int{0, 1, 4, 7, 100} {
			what := fmt.Sprintf("ListAudit %s, pages of %d", tt.name, limit)
			q := tt.q
			q.Limit = limit
			all := allPages(t, what, limit, func(c string) (charging.Page[charging.AuditEntry], error) {
				q.Cursor = c
				return s.ListAudit(ctx, q)
			})
			got := []int{}
			for k, e := range all {
				if k > 0 && e.ID >= all[k-1].ID {
					t.Errorf("%s: id %d after %d, want newest first without repeats", what, e.ID, all[k-1].ID)
				}
				i, ok := ourID[e.ID]
				if !ok {
					continue
				}
				got = append(got, i)
				checkEqual(t, fmt.Sprintf("%s: entry %d", what, i), normAudit(e), normAudit(entries[i]))
			}
			checkEqual(t, what, got, append([]int{}, want...))
		}
	}

	// The default page is 100 entries.
	for i := 0; i < 101; i++ {
		_, err := s.AddAudit(ctx, auditEntry(100+i))
		must(t, err, "AddAudit for the default limit")
	}
	p, err := s.ListAudit(ctx, charging.AuditQuery{})
	must(t, err, "ListAudit with the default limit")
	if len(p.Items) != 100 || p.NextCursor == "" {
		t.Errorf("ListAudit with the default limit = %d entries, cursor %q; want 100 and a cursor", len(p.Items), p.NextCursor)
	}
}

func testIDTagOwner(t *testing.T, s charging.Store) {
	ctx := context.Background()
	tag := idTag("OW-TAG-1", "ow-user-1")
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag with an owner")
	wantTag(t, s, tag, "an owned tag")

	// SaveIDTag writes the owner it is given, "" included.
	tag.OwnerID, tag.UpdatedAt = "ow-user-2", at(time.Hour)
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag with another owner")
	wantTag(t, s, tag, "a tag given to another owner")
	tag.OwnerID = ""
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag without an owner")
	wantTag(t, s, tag, "a tag without an owner")

	tag.OwnerID = "ow-user-1"
	must(t, s.SaveIDTag(ctx, tag), "SaveIDTag back to ow-user-1")
	for _, x := range []charging.IDTag{idTag("OW-TAG-3", "ow-user-1"), idTag("OW-TAG-2", "ow-user-1"),
		idTag("OW-TAG-4", "ow-user-2"), idTag("OW-TAG-5", "")} {
		must(t, s.SaveIDTag(ctx, x), "SaveIDTag "+x.IDTag)
	}
	for _, tt := range []struct {
		owner string
		want  []string
	}{
		{"ow-user-1", []string{"OW-TAG-1", "OW-TAG-2", "OW-TAG-3"}},
		{"ow-user-2", []string{"OW-TAG-4"}},
		{"ow-user-9", []string{}},
	} {
		for _, limit := range []int{0, 1, 2, 3} {
			what := fmt.Sprintf("ListIDTags of %s, pages of %d", tt.owner, limit)
			all := allPages(t, what, limit, func(c string) (charging.Page[charging.IDTag], error) {
				return s.ListIDTags(ctx, charging.IDTagQuery{OwnerID: tt.owner, Cursor: c, Limit: limit})
			})
			ids := []string{}
			for _, x := range all {
				ids = append(ids, x.IDTag)
				if x.OwnerID != tt.owner {
					t.Errorf("%s: %s has owner %q", what, x.IDTag, x.OwnerID)
				}
			}
			checkEqual(t, what, ids, tt.want)
		}
	}
	p, err := s.ListIDTags(ctx, charging.IDTagQuery{OwnerID: "ow-user-1", Limit: 1})
	must(t, err, "ListIDTags of ow-user-1")
	checkEqual(t, "ListIDTags item", normIDTag(p.Items[0]), normIDTag(tag))

	// Without an owner filter, every tag, with its owner.
	all := allPages(t, "ListIDTags", 0, func(c string) (charging.Page[charging.IDTag], error) {
		return s.ListIDTags(ctx, charging.IDTagQuery{Cursor: c})
	})
	owners := map[string]string{}
	for _, x := range all {
		if len(x.IDTag) > 3 && x.IDTag[:3] == "OW-" {
			owners[x.IDTag] = x.OwnerID
		}
	}
	checkEqual(t, "owners in ListIDTags without a filter", owners, map[string]string{
		"OW-TAG-1": "ow-user-1", "OW-TAG-2": "ow-user-1", "OW-TAG-3": "ow-user-1", "OW-TAG-4": "ow-user-2", "OW-TAG-5": ""})
}

func testSessionOwner(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "SO-CP")
	must(t, s.SaveIDTag(ctx, idTag("SO-OWNED", "so-u1")), "SaveIDTag SO-OWNED")
	must(t, s.SaveIDTag(ctx, idTag("SO-OWNED-2", "so-u4")), "SaveIDTag SO-OWNED-2")
	must(t, s.SaveIDTag(ctx, idTag("SO-FREE", "")), "SaveIDTag SO-FREE")

	owner := func(id string) string {
		t.Helper()
		got, err := s.GetSession(ctx, id)
		must(t, err, "GetSession "+id)
		return got.OwnerID
	}
	create := func(id string, connector int, tag, ownerID string) charging.Session {
		t.Helper()
		x := session(id, "SO-CP", connector, charging.SessionFinished)
		x.IDTag, x.OwnerID = tag, ownerID
		must(t, s.CreateSession(ctx, x), "CreateSession "+id)
		return x
	}

	// The id tag's owner, matched in any case, when the session names none.
	a := create("SO-1", 1, "so-owned", "")
	if got := owner("SO-1"); got != "so-u1" {
		t.Errorf("session started with an owned tag: owner %q, want so-u1", got)
	}
	// An explicit owner wins.
	create("SO-2", 1, "SO-OWNED", "so-u2")
	if got := owner("SO-2"); got != "so-u2" {
		t.Errorf("session with an explicit owner: owner %q, want so-u2", got)
	}
	// No owner: an unowned tag, an unknown tag, no tag.
	for i, tag := range []string{"SO-FREE", "SO-UNKNOWN", ""} {
		id := fmt.Sprintf("SO-NONE-%d", i)
		create(id, 1, tag, "")
		if got := owner(id); got != "" {
			t.Errorf("session %s with tag %q: owner %q, want none", id, tag, got)
		}
	}
	// The whole session reads back with its owner, by every lookup.
	full := fullSession("SO-FULL", "SO-CP", 2)
	full.IDTag = "SO-OWNED"
	must(t, s.CreateSession(ctx, full), "CreateSession SO-FULL")
	full.OwnerID = "so-u1"
	got, err := s.GetSession(ctx, "SO-FULL")
	must(t, err, "GetSession SO-FULL")
	checkEqual(t, "GetSession SO-FULL", normSession(got), normSession(full))
	got, err = s.GetSessionByIdempotencyKey(ctx, full.IdempotencyKey)
	must(t, err, "GetSessionByIdempotencyKey SO-FULL")
	checkEqual(t, "GetSessionByIdempotencyKey SO-FULL", normSession(got), normSession(full))
	got, err = s.GetSessionByTransaction(ctx, "SO-CP", full.TransactionID)
	must(t, err, "GetSessionByTransaction SO-FULL")
	checkEqual(t, "GetSessionByTransaction SO-FULL", normSession(got), normSession(full))

	// UpdateSession: an empty owner keeps the stored one, even when the
	// tag changes to another owner's or to none.
	a.UpdatedAt, a.IDTag, a.EnergyWh = at(time.Hour), "SO-OWNED-2", 5
	must(t, s.UpdateSession(ctx, a), "UpdateSession without an owner")
	got, err = s.GetSession(ctx, "SO-1")
	must(t, err, "GetSession SO-1")
	want := a
	want.OwnerID = "so-u1"
	checkEqual(t, "SO-1 updated without an owner", normSession(got), normSession(want))
	// A meter update (UpdateSession's twin) keeps it too.
	a.EnergyWh = 6
	must(t, s.AddMeterSamples(ctx, nil, &a), "AddMeterSamples with SO-1")
	if got := owner("SO-1"); got != "so-u1" {
		t.Errorf("SO-1 after AddMeterSamples: owner %q, want so-u1", got)
	}
	// A non-empty owner overwrites.
	a.OwnerID = "so-u3"
	must(t, s.UpdateSession(ctx, a), "UpdateSession with an owner")
	if got := owner("SO-1"); got != "so-u3" {
		t.Errorf("SO-1 updated with owner so-u3: owner %q", got)
	}

	// A session without an owner takes its tag's when it learns the tag
	// (a 2.0.1 transaction may name its idToken after it started).
	late := create("SO-LATE", 3, "", "")
	late.UpdatedAt = at(time.Minute)
	must(t, s.UpdateSession(ctx, late), "UpdateSession still without a tag")
	if got := owner("SO-LATE"); got != "" {
		t.Errorf("SO-LATE without a tag: owner %q, want none", got)
	}
	late.IDTag = "so-owned-2"
	must(t, s.UpdateSession(ctx, late), "UpdateSession with a tag")
	if got := owner("SO-LATE"); got != "so-u4" {
		t.Errorf("SO-LATE after learning an owned tag: owner %q, want so-u4", got)
	}
	// ... and keeps it once it has it.
	late.IDTag = "SO-FREE"
	must(t, s.UpdateSession(ctx, late), "UpdateSession with an unowned tag")
	if got := owner("SO-LATE"); got != "so-u4" {
		t.Errorf("SO-LATE after switching to an unowned tag: owner %q, want so-u4", got)
	}
	// An unowned tag leaves an unowned session unowned.
	free, err := s.GetSession(ctx, "SO-NONE-1")
	must(t, err, "GetSession SO-NONE-1")
	free.IDTag = "SO-FREE"
	must(t, s.UpdateSession(ctx, free), "UpdateSession SO-NONE-1 with an unowned tag")
	if got := owner("SO-NONE-1"); got != "" {
		t.Errorf("SO-NONE-1 with an unowned tag: owner %q, want none", got)
	}
}

func testListSessionsByOwner(t *testing.T, s charging.Store) {
	ctx := context.Background()
	saveChargers(t, s, "LO-CP1", "LO-CP2")
	must(t, s.SaveIDTag(ctx, idTag("LO-TAG-A", "lo-a")), "SaveIDTag LO-TAG-A")
	rows := []struct {
		id, charger, tag, owner string
		created                 time.Duration
	}{
		{"LO-1", "LO-CP1", "LO-TAG-A", "", time.Minute},     // owner from the tag
		{"LO-2", "LO-CP2", "LO-TAG-X", "lo-a", time.Minute}, // explicit; same time as LO-1
		{"LO-3", "LO-CP1", "LO-TAG-X", "lo-b", 2 * time.Minute},
		{"LO-4", "LO-CP1", "LO-TAG-A", "", 3 * time.Minute},
		{"LO-5", "LO-CP2", "LO-TAG-X", "", 4 * time.Minute}, // nobody's
		{"LO-6", "LO-CP2", "lo-tag-a", "", 5 * time.Minute}, // owner from the tag, in another case
	}
	for _, i := range []int{3, 0, 5, 2, 4, 1} {
		r := rows[i]
		x := session(r.id, r.charger, 0, charging.SessionFinished)
		x.IDTag, x.OwnerID, x.CreatedAt = r.tag, r.owner, at(r.created)
		must(t, s.CreateSession(ctx, x), "CreateSession "+r.id)
	}
	for _, tt := range []struct {
		name string
		q    charging.SessionQuery
		want []string
	}{
		{"lo-a", charging.SessionQuery{OwnerID: "lo-a"}, []string{"LO-6", "LO-4", "LO-2", "LO-1"}},
		{"lo-b", charging.SessionQuery{OwnerID: "lo-b"}, []string{"LO-3"}},
		{"lo-a on LO-CP1", charging.SessionQuery{OwnerID: "lo-a", ChargerID: "LO-CP1"}, []string{"LO-4", "LO-1"}},
		{"lo-a before 3 minutes", charging.SessionQuery{OwnerID: "lo-a", CreatedBefore: at(3 * time.Minute)}, []string{"LO-2", "LO-1"}},
		{"nobody's", charging.SessionQuery{OwnerID: "lo-z"}, []string{}},
	} {
		for _, limit := range []int{0, 1, 2, 3} {
			what := fmt.Sprintf("ListSessions of %s, pages of %d", tt.name, limit)
			q := tt.q
			q.Limit = limit
			all := allPages(t, what, limit, func(c string) (charging.Page[charging.Session], error) {
				q.Cursor = c
				return s.ListSessions(ctx, q)
			})
			checkEqual(t, what, sessionIDs(charging.Page[charging.Session]{Items: all}), tt.want)
			for _, x := range all {
				if x.OwnerID != tt.q.OwnerID {
					t.Errorf("%s: %s has owner %q", what, x.ID, x.OwnerID)
				}
			}
		}
	}
	// Without the filter, sessions carry their owners.
	p, err := s.ListSessions(ctx, charging.SessionQuery{ChargerID: "LO-CP2"})
	must(t, err, "ListSessions LO-CP2")
	owners := map[string]string{}
	for _, x := range p.Items {
		owners[x.ID] = x.OwnerID
	}
	checkEqual(t, "owners of LO-CP2's sessions", owners, map[string]string{"LO-2": "lo-a", "LO-5": "", "LO-6": "lo-a"})
}

// testSignInIsOneWrite: a sign-up (user, app tag, token) and a sign-in
// (last login, revoked sessions, new token) are each one write; when a
// part fails nothing of it is stored.
func testSignInIsOneWrite(t *testing.T, s charging.Store) {
	ctx := context.Background()
	u := user("si-1", charging.RoleDriver)
	u.AppIDTag = "APPSI1"
	tag := charging.IDTag{IDTag: "APPSI1", Status: charging.AuthAccepted, CreatedAt: at(0), UpdatedAt: at(0)}
	tok := token("si-1-a", "si-1", time.Hour)
	must(t, s.CreateUser(ctx, u, &tag, &tok), "CreateUser si-1 with a tag and a token")
	if _, got, err := s.GetToken(ctx, "si-1-a"); err != nil || got.ID != "si-1" {
		t.Fatalf("GetToken si-1-a after a sign-up = %v, %v; want user si-1", got.ID, err)
	}

	// The tag part fails: no user, no token.
	u2 := user("si-2", charging.RoleDriver)
	u2.AppIDTag = "APPSI1"
	tok2 := token("si-2-a", "si-2", time.Hour)
	wantCode(t, s.CreateUser(ctx, u2, &tag, &tok2), charging.ECONFLICT, "CreateUser si-2 with a used tag")
	_, err := s.GetUser(ctx, "si-2")
	wantCode(t, err, charging.ENOTFOUND, "GetUser si-2 after a failed sign-up")
	_, _, err = s.GetToken(ctx, "si-2-a")
	wantCode(t, err, charging.ENOTFOUND, "GetToken si-2-a after a failed sign-up")

	// The token part fails (its hash is taken): the user is not written either.
	u3 := user("si-3", charging.RoleViewer)
	dup := token("si-1-a", "si-3", time.Hour)
	wantCode(t, s.CreateUser(ctx, u3, nil, &dup), charging.ECONFLICT, "CreateUser si-3 with a used token hash")
	_, err = s.GetUser(ctx, "si-3")
	wantCode(t, err, charging.ENOTFOUND, "GetUser si-3 after a failed sign-up")

	// A sign-in that ends the other sessions keeps only its new token.
	must(t, s.CreateToken(ctx, token("si-1-b", "si-1", time.Hour)), "CreateToken si-1-b")
	u.LastLoginAt = ptr(at(time.Hour))
	fresh := token("si-1-c", "si-1", time.Hour)
	must(t, s.UpdateUser(ctx, u, true, &fresh), "UpdateUser si-1 revoking, with a new token")
	for _, h := range []string{"si-1-a", "si-1-b"} {
		_, _, err := s.GetToken(ctx, h)
		wantCode(t, err, charging.ENOTFOUND, "GetToken "+h+" after the sign-in revoked it")
	}
	if _, _, err := s.GetToken(ctx, "si-1-c"); err != nil {
		t.Errorf("GetToken si-1-c, the sign-in's token: %v", err)
	}
	// A sign-in whose token fails leaves the user as it was.
	u.LastLoginAt = ptr(at(2 * time.Hour))
	again := token("si-1-c", "si-1", time.Hour)
	wantCode(t, s.UpdateUser(ctx, u, false, &again), charging.ECONFLICT, "UpdateUser si-1 with a used token hash")
	got, err := s.GetUser(ctx, "si-1")
	must(t, err, "GetUser si-1")
	if got.LastLoginAt == nil || !got.LastLoginAt.Equal(at(time.Hour)) {
		t.Errorf("si-1 LastLoginAt after a failed sign-in = %v, want the earlier %v", got.LastLoginAt, at(time.Hour))
	}
}
