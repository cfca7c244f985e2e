// Command crawler-key prints, for each page path on stdin, the object name
// under which GOV.UK's mirror crawler (alphagov/govuk-mirror) stores that page.
// It is the oracle of the service's mirror-key tests and uses Go's standard
// library only, as the crawler does.
//
// Input, one page a line:   <path>[<TAB><content type>]
// The path is the request target as sent (escaped, may carry a query). Without
// a TAB the content type is text/html; an empty one means the answer had none.
//
// Output, one line for each input line, in order:
//
//	ok<TAB><object key>
//	error<TAB><why the crawler could not name it>
//
// The crawler runs in an image without system MIME tables, so its mime package
// knows Go's built-in table plus the types it registers itself. Build this for
// WebAssembly (GOOS=wasip1 GOARCH=wasm) and run it in a WASI host without
// preopened directories to get exactly that table; run natively, Go also reads
// the machine's MIME tables, and the program says so on stderr.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// Host is the site the crawler mirrors; its name is the first key segment.
const Host = "www.gov.uk"

const defaultContentType = "text/html"

// systemMimeTables are the files Go's mime package reads on Unix-like systems.
var systemMimeTables = []string{
	"/usr/local/share/mime/globs2",
	"/usr/share/mime/globs2",
	"/etc/mime.types",
	"/etc/apache2/mime.types",
	"/etc/apache/mime.types",
	"/etc/httpd/conf/mime.types",
}

func main() {
	warnAboutSystemMimeTables()
	if err := registerGovukTypes(); err != nil {
		fmt.Fprintln(os.Stderr, "crawler-key:", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		path, contentType, hasType := strings.Cut(in.Text(), "\t")
		if !hasType {
			contentType = defaultContentType
		}
		key, err := CrawlerKey(Host, path, contentType)
		if err != nil {
			fmt.Fprintf(out, "error\t%s\n", strings.NewReplacer("\n", " ", "\t", " ").Replace(err.Error()))
		} else {
			fmt.Fprintf(out, "ok\t%s\n", key)
		}
	}
	if err := in.Err(); err != nil {
		out.Flush()
		fmt.Fprintln(os.Stderr, "crawler-key: reading stdin:", err)
		os.Exit(2)
	}
}

func warnAboutSystemMimeTables() {
	var found []string
	for _, name := range systemMimeTables {
		if _, err := os.Stat(name); err == nil {
			found = append(found, name)
		}
	}
	if len(found) > 0 {
		fmt.Fprintf(os.Stderr, "crawler-key: warning: Go's mime package also reads %s here; the crawler's image has no such files, so names for types other than text/html may differ. Build with GOOS=wasip1 GOARCH=wasm for the crawler's table.\n", strings.Join(found, ", "))
	}
}
