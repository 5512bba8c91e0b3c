// The block-page and forged-answer fingerprints Ferry ships, in the CSV format of OONI's
// blocking-fingerprints repository (see block-fingerprints.ts). A small, hand-written set that
// works offline and in the Worker; load OONI's full fingerprints_http.csv and fingerprints_dns.csv
// with src/adapters/probes/fingerprint-file.ts for the rest.
import { parseFingerprints, type Fingerprint } from './block-fingerprints.ts';

export const DEFAULT_FINGERPRINTS_CSV = `name,scope,other_names,location_found,pattern_type,pattern,confidence_no_fp,expected_countries,source,exp_url,notes
ferry.prod_fortiguard,prod,,body,contains,FortiGuard Web Filtering,5,,ferry,,Fortinet's filtering product names itself on its block page
ferry.prod_wirefilter,prod,,header.server,prefix,Protected by WireFilter,5,"AE,SA",ferry,,A filtering middlebox that names itself in the Server header
ferry.nat_ir_iframe,nat,,body,contains,"<iframe src=""http://10.10.34.34",5,IR,ferry,,The national block page is an iframe to a private address
ferry.nat_ru_warning,nat,,header.location,prefix,http://warning.rt.ru,5,RU,ferry,,Redirect to the ISP's warning page
ferry.inst_web_page_blocked,inst,,body,contains,<title>Web Page Blocked</title>,5,,ferry,,Title of several products' default block page
ferry.vbw_access_denied,vbw,,body,contains,<title>Access Denied</title>,2,,ferry,,Vague: many honest error pages say this too
ferry.dns_ir_private,nat,,dns,full,10.10.34.34,5,IR,ferry,,The address forged DNS answers point to
ferry.dns_ir_private_2,nat,,dns,full,10.10.34.35,5,IR,ferry,,The address forged DNS answers point to
`;

export const DEFAULT_FINGERPRINTS: readonly Fingerprint[] = parseFingerprints(DEFAULT_FINGERPRINTS_CSV, 'default fingerprints');
