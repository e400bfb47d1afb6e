// Command notecheck drives Go's golang.org/x/mod/sumdb/note for Saksi's interoperability tests
// (tests/interop/test_go_note.py). Written from the package's documentation; every answer is one JSON
// object on stdout, and exit status 1 with {"error": ...} when the note package refuses the input.
//
//	notecheck verify <vkey>... < note     open the note with these verifiers
//	notecheck sign <name> < text         make a fresh key and sign the text with it
//	notecheck vkey <vkey>                parse a verifier key
package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"
)

func answer(v interface{}) {
	out, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	answer(map[string]string{"error": err.Error()})
	os.Exit(1)
}

type signature struct {
	Name    string `json:"name"`
	KeyHash string `json:"keyHash"`
	Base64  string `json:"base64"`
}

func signatures(sigs []note.Signature) []signature {
	out := []signature{}
	for _, s := range sigs {
		out = append(out, signature{s.Name, fmt.Sprintf("%08x", s.Hash), s.Base64})
	}
	return out
}

func verify(vkeys []string) {
	var verifiers []note.Verifier
	for _, vkey := range vkeys {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			fail(err)
		}
		verifiers = append(verifiers, v)
	}
	msg, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fail(err)
	}
	answer(map[string]interface{}{
		"text":           n.Text,
		"verified":       signatures(n.Sigs),
		"unverifiedSigs": signatures(n.UnverifiedSigs),
	})
}

func sign(name string) {
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		fail(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail(err)
	}
	text, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		fail(err)
	}
	answer(map[string]string{"skey": skey, "vkey": vkey, "note": string(msg)})
}

func vkey(text string) {
	v, err := note.NewVerifier(text)
	if err != nil {
		fail(err)
	}
	answer(map[string]string{"name": v.Name(), "keyHash": fmt.Sprintf("%08x", v.KeyHash())})
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: notecheck verify <vkey>... | sign <name> | vkey <vkey>")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "verify":
		verify(os.Args[2:])
	case "sign":
		sign(os.Args[2])
	case "vkey":
		vkey(os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
