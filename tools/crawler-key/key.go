package main

import (
	"errors"
	"fmt"
	"mime"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// govukTypes are the extension/type pairs the crawler registers with Go's
// mime package on top of Go's built-in table, before it saves anything.
var govukTypes = []struct{ ext, contentType string }{
	{".atom", "application/atom+xml"},
	{".csv", "text/csv"},
	{".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	{".ico", "image/vnd.microsoft.icon"},
	{".ico", "image/x-icon"},
	{".ics", "text/calendar"},
	{".js", "application/javascript"},
	{".odp", "application/vnd.oasis.opendocument.presentation"},
	{".ods", "application/vnd.oasis.opendocument.spreadsheet"},
	{".odt", "application/vnd.oasis.opendocument.text"},
	{".woff", "font/woff"},
	{".woff2", "font/woff2"},
	{".xls", "application/vnd.ms-excel"},
	{".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{".xml", "application/xml"},
}

// legacyHTMLExtension is listed by Go for text/html but never used by the crawler.
const legacyHTMLExtension = ".shtml"

func registerGovukTypes() error {
	for _, t := range govukTypes {
		if err := mime.AddExtensionType(t.ext, t.contentType); err != nil {
			return fmt.Errorf("registering %s as %s: %w", t.ext, t.contentType, err)
		}
	}
	return nil
}

// extensionsFor lists the extensions Go's mime table gives for a content type
// (sorted, lower case), without the legacy ".shtml". No content type, no list.
func extensionsFor(contentType string) ([]string, error) {
	if contentType == "" {
		return nil, nil
	}
	exts, err := mime.ExtensionsByType(contentType)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(exts, func(e string) bool { return e == legacyHTMLExtension }), nil
}

// CrawlerKey names the object the crawler stores for the page at path (a
// request target as sent: escaped, possibly with a query) on host, when the
// page was answered with contentType. The rules:
//
//  1. the page URL is parsed with net/url and its escaped path taken
//     (URL.EscapedPath), query and fragment dropped;
//  2. the escaped path is split on "/"; an empty last segment (a trailing
//     "/") becomes "index";
//  3. the last segment keeps its own extension (filepath.Ext, case-sensitive)
//     when the content type's extension list holds it; otherwise the list's
//     last (sorted) extension is appended; an empty list leaves the name as
//     it is, unless it has no extension at all, which is an error;
//  4. the host and the segments are joined with filepath.Join, which drops
//     empty segments and resolves "." and "..", even above the host.
func CrawlerKey(host, path, contentType string) (string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", fmt.Errorf("path %q does not start with /", path)
	}
	u, err := url.Parse("https://" + host + path)
	if err != nil {
		return "", err
	}
	segments := strings.Split(u.EscapedPath(), "/")
	last := len(segments) - 1
	if segments[last] == "" {
		segments[last] = "index"
	}
	exts, err := extensionsFor(contentType)
	if err != nil {
		return "", fmt.Errorf("content type %q: %w", contentType, err)
	}
	own := filepath.Ext(segments[last])
	switch {
	case len(exts) > 0 && !slices.Contains(exts, own):
		segments[last] += exts[len(exts)-1]
	case len(exts) == 0 && own == "":
		return "", errors.New("neither the content type nor the path gives an extension")
	}
	return filepath.Join(append([]string{host}, segments...)...), nil
}
