// Signs CloudFront URLs and cookies with @aws-sdk/cloudfront-signer, for comparison with
// msc_notebook. Reads a JSON array of {kind: "url"|"cookies", ...options} on stdin and
// writes a JSON array of results.
const { getSignedUrl, getSignedCookies } = require("@aws-sdk/cloudfront-signer");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ kind, ...options }) =>
    kind === "url" ? getSignedUrl(options) : getSignedCookies(options),
  );
  process.stdout.write(JSON.stringify(results));
});
