"""The words generated people and addresses are made of: given and family names, nicknames, streets, towns."""


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FEMALE_NAMES = _words(
    "Olivia Amelia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Willow Freya Florence Emily Ella "
    "Poppy Evie Elsie Charlotte Evelyn Sienna Sofia Daisy Phoebe Sarah Emma Laura Rebecca Hannah "
    "Jessica Amy Lauren Chloe Kerry Gemma Claire Nicola Joanne Michelle Lisa Karen Susan Helen Julie "
    "Tracey Dawn Jane Angela Margaret Patricia Linda Barbara Elizabeth Mary Jean Christine Ann Kayleigh "
    "Leanne Stacey Danielle Jade Shannon Chantelle Aaliyah Zara Amira Fatima Aisha Priya Anika Maja"
)
MALE_NAMES = _words(
    "Oliver George Noah Arthur Muhammad Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
    "Thomas William James Daniel Matthew Joshua Ryan Luke Adam Michael David Paul Mark Andrew Richard "
    "Stephen Christopher Peter John Robert Gary Lee Craig Darren Wayne Dean Jason Carl Shaun Kevin Ian "
    "Alan Brian Keith Colin Graham Trevor Kyle Liam Connor Callum Jordan Bradley Reece Tyler Kai "
    "Mohammed Ahmed Ali Omar Yusuf Hassan Arjun Ravi Tomasz Piotr Jakub"
)
FAMILY_NAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
    "Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason Mitchell Rose Davis "
    "Rodriguez Cox Alexander Morgan Moore Hughes Edwards Hill Harris Turner Martin Cooper Ward Morris "
    "King Baker Harrison Scott Young Allen Bell Parker Watson Bennett Carter Collins Shaw Kelly Murphy "
    "Stewart Lee Campbell Anderson Price Graham Murray Ellis Richardson Fox Marshall Lloyd Chapman "
    "Webb Simpson Holmes Mills Hunt Palmer Reid Griffiths Knight Grant Wells Dixon Burton Fletcher "
    "Hussain Ali Begum Ahmed Shah Singh Kaur Kowalski Nowak Vale Hart Armstrong Atkinson Barnes Bates "
    "Berry Booth Bradley Briggs Burns Butler Byrne Cole Cunningham Dawson Dean Doyle Duncan Elliott "
    "Ferguson Fisher Ford Foster Francis Gibson Gordon Gray Hamilton Hayes Henderson Holland Howard "
    "Hudson Hunter Jenkins Johnston Kennedy Lane Lawrence Lawson Little Lowe Matthews McDonald Miller "
    "Newman Nicholson Owen Pearce Pearson Perry Porter Powell Reynolds Riley Robertson Rogers Russell "
    "Saunders Spencer Stevens Stone Sutton Thomson Tucker Wallace Walsh Warren Watts Webster West "
    "Wheeler Whitehead Wilkinson Willis Woods Yates"
)
NICKNAMES = ("Kez", "Gaz", "Daz", "Shaz", "Tez", "Bex", "Macca", "Jonno", "Lou", "Kaz", "Mo", "Jay", "Dee")
STREETS = _words(
    "High Larch Oak Elm Station Church Victoria Mill Park Albert Queen King Chapel Bridge Grange Manor "
    "Meadow Orchard Rectory Green Willow Beech Ash Hawthorn Holly Rowan Cedar Chestnut Sycamore Maple "
    "Hazel Alder Birch Laburnum Linden Poplar Heather Primrose Bluebell Foxglove Clover Juniper "
    "Kingsway Windsor York Lancaster Durham Tyne Wear Tees Derwent Coquet Alnwick Hexham Morpeth"
)
STREET_KINDS = ("Street", "Road", "Close", "Avenue", "Lane", "Drive", "Court", "Terrace", "Way", "Gardens")
TOWNS = (
    "Newcastle upon Tyne",
    "Gateshead",
    "Sunderland",
    "Durham",
    "Middlesbrough",
    "Hartlepool",
    "Darlington",
    "Stockton-on-Tees",
    "Northshire",
    "Hexham",
    "Morpeth",
    "Blyth",
    "Ashington",
    "Cramlington",
    "Consett",
    "Chester-le-Street",
    "Washington",
    "South Shields",
    "North Shields",
    "Whitley Bay",
    "Jarrow",
    "Seaham",
    "Peterlee",
    "Bishop Auckland",
)
